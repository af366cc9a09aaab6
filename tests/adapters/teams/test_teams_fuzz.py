"""No input to POST /api/messages gets a 500: any bytes, JSON of any shape, and Teams' own
activities with parts replaced by anything (local mode: no app id, loopback only)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.adapters.teams.conftest import Teams, activity
from tests.fuzz import FUZZ, JSON, mutated

ANSWERS = {200, 400, 401, 413, 415}
ACTIVITIES = [
    "personal_message",
    "channel_mention",
    "card_submit",
    "conversation_update_personal",
    "message_action_submit",
    "conversation_update_team",
]


@FUZZ
@given(body=st.binary(max_size=300))
async def test_any_bytes_get_no_500(teams: Teams, body: bytes) -> None:
    response = await teams.http.post(
        "/api/messages", data=body, headers={"Content-Type": "application/json"}
    )

    assert response.status in ANSWERS


@FUZZ
@given(body=JSON)
async def test_json_of_any_shape_gets_no_500(teams: Teams, body: Any) -> None:
    response = await teams.http.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )

    assert response.status in ANSWERS, await response.text()


@FUZZ
@given(data=st.data(), name=st.sampled_from(ACTIVITIES))
async def test_activities_with_odd_parts_get_no_500(
    teams: Teams, data: st.DataObject, name: str
) -> None:
    body = data.draw(mutated(activity(name)))
    body.pop("serviceUrl", None)  # the fake connector's, set by post()

    response = await teams.post(body)

    assert response.status in ANSWERS, await response.text()
