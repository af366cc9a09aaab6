"""Whatever reaches POST /slack/events gets a clear answer, never a 500: the signature is checked
before the body is read as JSON, a signed payload of an odd shape is acknowledged and logged (a
500 would make Slack send it again and again), and text is stored as it can be read back."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.runtime.app import Runtime
from storage.models import InboundRecord
from tests import state
from tests.adapters.slack.conftest import ANNA, Slack, fixture, with_event

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
DEEP = "[" * 50_000 + "]" * 50_000


def _message(**event: Any) -> dict[str, Any]:
    return with_event("message_im", "Ev0ODD", **event)


def _without(name: str, *path: str) -> dict[str, Any]:
    body = copy.deepcopy(fixture(name))
    where = body
    for key in path[:-1]:
        where = where[key]
    del where[path[-1]]
    return body


def _form(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def _with(name: str, value: Any, *path: str) -> dict[str, Any]:
    body = copy.deepcopy(fixture(name))
    where = body
    for key in path[:-1]:
        where = where[key]
    where[path[-1]] = value
    return body


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param("{not json", JSON, id="broken-json"),
        pytest.param(DEEP, JSON, id="nested-50000-deep"),
        pytest.param("payload=%7Bnot", FORM, id="broken-payload"),
        pytest.param("\udcff", JSON, id="not-utf8"),
        pytest.param("[1, 2]", JSON, id="a-list"),
    ],
)
async def test_an_unsigned_malformed_body_is_refused_as_unsigned(
    slack: Slack, runtime: Runtime, body: str, content_type: str
) -> None:
    data = body.encode("utf-8", "surrogateescape")
    response = await slack.http.post(
        "/slack/events", data=data, headers={"Content-Type": content_type}
    )

    assert response.status == 401
    assert await state.count(runtime, InboundRecord) == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param("{not json", JSON, id="broken-json"),
        pytest.param(DEEP, JSON, id="nested-50000-deep"),
        pytest.param("payload=%7Bnot", FORM, id="broken-payload"),
        pytest.param("[1, 2]", JSON, id="a-list"),
        pytest.param('"just a string"', JSON, id="a-string"),
        pytest.param("payload=%5B1%5D", FORM, id="payload-a-list"),
        pytest.param(json.dumps({**fixture("message_im"), "event": None}), JSON, id="event-null"),
        pytest.param(json.dumps({**fixture("message_im"), "event": "x"}), JSON, id="event-str"),
        pytest.param(
            _form(_with("block_actions", [{"action_id": 5}], "actions")), FORM, id="action-id-int"
        ),
        pytest.param(_form(_with("view_submission", None, "view")), FORM, id="view-null"),
        pytest.param(_form(_with("block_actions", "x", "actions")), FORM, id="actions-a-str"),
        pytest.param(_form(_with("block_actions", ["x"], "actions")), FORM, id="action-a-str"),
        pytest.param(_form(_with("block_actions", "U1", "user")), FORM, id="user-a-str"),
    ],
)
async def test_a_signed_body_that_is_no_payload_is_a_400(
    slack: Slack, runtime: Runtime, body: str, content_type: str
) -> None:
    response = await slack.post(body, content_type)

    assert response.status == 400
    assert "not a Slack payload" in await response.text()
    assert await state.count(runtime, InboundRecord) == 0


ODD_EVENTS = [
    pytest.param({**fixture("message_im"), "team_id": ["T1"]}, id="team-a-list"),
    pytest.param(_without("message_im", "team_id"), id="no-team"),
    pytest.param(_without("message_im", "event", "channel"), id="message-without-channel"),
    pytest.param(_message(user={"id": ANNA}), id="user-an-object"),
    pytest.param(_message(user=12), id="user-a-number"),
    pytest.param(_message(text={"a": 1}), id="text-an-object"),
    pytest.param(_message(user="U0\x00ANNA"), id="nul-in-user-id"),
    pytest.param(_message(channel="D0\x00"), id="nul-in-channel"),
    pytest.param(_without("app_mention", "event", "ts"), id="mention-without-ts"),
    pytest.param(_with("reaction_added", 7, "event", "item"), id="reaction-item-a-number"),
    pytest.param(_without("app_home_opened", "event", "user"), id="home-without-user"),
]


@pytest.mark.parametrize("body", ODD_EVENTS)
async def test_a_signed_event_of_an_odd_shape_is_acknowledged_and_not_stored(
    slack: Slack, runtime: Runtime, body: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    response = await slack.event(body)
    await slack.settle()

    assert response.status == 200
    assert await state.count(runtime, InboundRecord) == 0
    assert any("not understood" in r.getMessage() for r in caplog.records)
    assert not any(r.exc_info for r in caplog.records if r.levelname in ("ERROR", "WARNING"))


ODD_INTERACTIONS = [
    pytest.param(_without("block_actions", "user"), id="click-without-user"),
    pytest.param(
        _with("block_actions", [{"type": "button", "action_id": "x\x00", "value": "1"}], "actions"),
        id="nul-in-action",
    ),
    pytest.param(_with("view_submission", "not json", "view", "private_metadata"), id="metadata"),
    pytest.param(_with("view_submission", "[1]", "view", "private_metadata"), id="metadata-list"),
    pytest.param(
        _with("view_submission", "[" * 3000, "view", "private_metadata"), id="metadata-deep"
    ),
    pytest.param(_without("view_submission", "user"), id="submission-without-user"),
    pytest.param(_without("message_action", "message"), id="shortcut-without-message"),
]


@pytest.mark.parametrize("payload", ODD_INTERACTIONS)
async def test_a_signed_interaction_of_an_odd_shape_is_acknowledged_and_not_stored(
    slack: Slack, runtime: Runtime, payload: dict[str, Any]
) -> None:
    payload = copy.deepcopy(payload)
    if payload.get("type") == "view_submission" and isinstance(payload.get("view"), dict):
        payload["view"]["callback_id"] = "heatshield_input"
    response = await slack.interact(payload)
    await slack.settle()

    assert response.status == 200
    assert await state.count(runtime, InboundRecord) == 0


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param(
            {"command": "/request", "text": "a new export", "team_id": "T0123ACME"},
            id="request-without-user",
        ),
        pytest.param(
            {**fixture("slash_command"), "text": "x", "user_id": "U\x00"}, id="nul-in-user"
        ),
    ],
)
async def test_a_signed_command_of_an_odd_shape_is_answered_200(
    slack: Slack, runtime: Runtime, fields: dict[str, str]
) -> None:
    response = await slack.command(fields)

    assert response.status == 200
    assert await state.count(runtime, InboundRecord) == 0


async def test_text_with_a_nul_byte_is_stored_without_it_and_answered(
    slack: Slack, runtime: Runtime
) -> None:
    text = "Please add\x00 a CSV export\x07 to the expense overview, finance retypes everything."
    response = await slack.event(_message(text=text))
    await slack.settle()

    assert response.status == 200
    answers = slack.fake.posts()
    assert answers, "the stakeholder is answered"
    requests = [item.request.text for item in await state.items(runtime)]
    assert requests == [
        "Please add a CSV export to the expense overview, finance retypes everything."
    ]


async def test_one_bad_event_does_not_fail_the_others_stored_with_it(
    slack: Slack, runtime: Runtime
) -> None:
    """Events are stored in group commits: one that the database would refuse must not take
    the acks of the others with it."""
    bodies = [with_event("message_im", f"Ev0GOOD{n}") for n in range(5)]
    bodies.append(_message(text="null\x00byte", user="U0ANNA"))
    answers = await asyncio.gather(*(slack.event(b) for b in bodies))

    assert [a.status for a in answers] == [200] * 6
    assert await state.count(runtime, InboundRecord) == 6


async def test_a_10_mb_body_is_refused_before_it_is_read(slack: Slack, runtime: Runtime) -> None:
    body = json.dumps({**fixture("message_im"), "padding": "x" * 10_000_000})

    response = await slack.post(body, JSON)

    assert response.status == 413
    assert await state.count(runtime, InboundRecord) == 0
