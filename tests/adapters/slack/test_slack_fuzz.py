"""No input to POST /slack/events gets a 500: unsigned bytes, signed JSON of any shape, and
Slack's own payloads with parts replaced by anything."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.adapters.slack.conftest import Slack, fixture
from tests.fuzz import FUZZ, JSON, mutated

ANSWERS = {200, 400, 401, 413, 415}
EVENTS = ["message_im", "app_mention", "reaction_added", "app_home_opened"]
INTERACTIONS = ["block_actions", "view_submission", "message_action"]


@FUZZ
@given(body=st.binary(max_size=300), form=st.booleans())
async def test_unsigned_bytes_are_refused(slack: Slack, body: bytes, form: bool) -> None:
    content_type = "application/x-www-form-urlencoded" if form else "application/json"
    response = await slack.http.post(
        "/slack/events", data=body, headers={"Content-Type": content_type}
    )

    assert response.status == 401


@FUZZ
@given(body=JSON)
async def test_signed_json_of_any_shape_gets_no_500(slack: Slack, body: Any) -> None:
    response = await slack.post(json.dumps(body), "application/json")

    assert response.status in ANSWERS, await response.text()


@FUZZ
@given(data=st.data(), name=st.sampled_from(EVENTS + INTERACTIONS))
async def test_slacks_own_payloads_with_odd_parts_get_no_500(
    slack: Slack, data: st.DataObject, name: str
) -> None:
    payload = data.draw(mutated(fixture(name)))

    if name in INTERACTIONS:
        response = await slack.interact(payload)
    else:
        response = await slack.event(payload)

    assert response.status in ANSWERS, await response.text()


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(list(fixture("slash_command"))), st.text()))
async def test_signed_commands_with_any_fields_get_no_500(
    slack: Slack, fields: dict[str, str]
) -> None:
    response = await slack.command({**fixture("slash_command"), **fields})

    assert response.status in ANSWERS, await response.text()
