"""Slack through bolt's matchers: each kind of payload Heatshield handles reaches its listener,
stored before the ack by the one middleware in front of them all; what no listener matches is
acknowledged (over HTTP and in Socket Mode) and stored nowhere; a person's direct message is
the same in its fast lane and through bolt; and nothing on the way to the ack asks Slack who
someone is (users.info comes after it)."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select

import handlers.dispatch  # noqa: F401 - registers every action handler
from adapters.slack.render import ACTION_ID, INPUT_PREFIX, MENU_ACTION
from bot.runtime.app import Runtime
from handlers.registry import ACTIONS
from storage.models import InboundRecord
from tests import state
from tests.adapters.slack.conftest import (
    ANNA,
    BEN,
    PO,
    TEAM,
    Slack,
    fixture,
    submission,
    with_event,
)

DECLINE = json.dumps({"v": "1", "k": "text", "l": "Why not?", "r": True, "t": "Decline"})


async def stored(runtime: Runtime) -> list[dict[str, Any]]:
    """The neutral events stored so far, in order."""
    async with runtime.db.transaction() as uow:
        records = await uow.session.scalars(select(InboundRecord).order_by(InboundRecord.id))
        return [dict(record.event) for record in records]


def clicked(action_id: str, value: str = "1", *, stamp: str = "1") -> dict[str, Any]:
    payload = copy.deepcopy(fixture("block_actions"))
    payload["trigger_id"] = f"4711.{stamp}.trigger"
    payload["actions"] = [
        {
            "type": "button",
            "action_id": action_id,
            "block_id": "item:1:actions",
            "value": value,
            "action_ts": f"1763890760.{stamp.zfill(6)}",
        }
    ]
    return payload


def reaction(slack: Slack) -> dict[str, Any]:
    slack.fake.history[("C0PRODUCT", "1763890500.000400")] = {
        "type": "message",
        "user": ANNA,
        "text": "Could the export also include the cost centre?",
        "ts": "1763890500.000400",
    }
    return fixture("reaction_added")


def request_form() -> dict[str, Any]:
    values = {"what": {"what": {"type": "plain_text_input", "value": "A dark mode"}}}
    return submission("heatshield_request", values, user=ANNA, view_id="V0REQ")


def input_form() -> dict[str, Any]:
    metadata = json.dumps({"a": "decline", "v": "1", "c": "D0PETRA", "t": None})
    values = {"answer": {"answer": {"type": "plain_text_input", "value": "Not now"}}}
    return submission("heatshield_input", values, user=PO, view_id="V0IN", metadata=metadata)


Send = Callable[[Slack], Awaitable[Any]]
# (what is sent, the kind stored with what it says, the Web API calls it makes after the ack)
KINDS: list[Any] = [
    pytest.param(
        lambda s: s.dispatch(fixture("message_im")),
        [("message", "direct")],
        [],
        id="message-in-the-dm-through-bolt",
    ),
    pytest.param(
        lambda s: s.event(fixture("app_mention")), [("message", "channel")], [], id="mention"
    ),
    pytest.param(lambda s: s.event(reaction(s)), [("message", "channel")], [], id="reaction"),
    pytest.param(
        lambda s: s.event(fixture("app_home_opened")), [], ["views.publish"], id="home-opened"
    ),
    pytest.param(lambda s: s.interact(clicked("approve_top")), [("action", "approve_top")], []),
    pytest.param(
        lambda s: s.interact(clicked("input:decline", DECLINE)), [], ["views.open"], id="input"
    ),
    pytest.param(lambda s: s.interact(input_form()), [("action", "decline")], [], id="input-form"),
    pytest.param(
        lambda s: s.interact(request_form()), [("message", "direct")], [], id="request-form"
    ),
    pytest.param(
        lambda s: s.interact(fixture("message_action")),
        [("message", "channel")],
        [],
        id="forward-shortcut",
    ),
    pytest.param(
        lambda s: s.command({**fixture("slash_command"), "text": "status"}),
        [("message", "direct")],
        [],
        id="command-typed",
    ),
    pytest.param(
        lambda s: s.command(fixture("slash_command")), [], ["views.open"], id="command-bare"
    ),
]


def _said(event: dict[str, Any]) -> tuple[str, str]:
    return event["kind"], event.get("source") or event.get("action_id")


@pytest.mark.parametrize(("send", "kinds", "screens"), KINDS)
async def test_each_kind_reaches_its_listener_stored_before_the_ack(
    slack: Slack, runtime: Runtime, send: Send, kinds: list[Any], screens: list[str]
) -> None:
    response = await send(slack)
    assert response.status == 200
    assert [_said(event) for event in await stored(runtime)] == kinds

    await slack.platform.bot.drain()
    opened = [call.method for call in slack.fake.calls if call.method.startswith("views.")]
    assert opened == screens


async def test_a_user_change_forgets_who_they_were(slack: Slack, runtime: Runtime) -> None:
    await slack.event(with_event("message_im", "Ev0ONE"))
    await slack.settle()
    await slack.event(with_event("message_im", "Ev0TWO", ts="1763890200.000200"))
    await slack.settle()
    assert len(slack.fake.of("users.info")) == 1, "cached"

    change = {**fixture("app_home_opened"), "event_id": "Ev0CHANGE"}
    change["event"] = {"type": "user_change", "user": {"id": ANNA, "team_id": TEAM}}
    response = await slack.event(change)
    assert response.status == 200
    await slack.event(with_event("message_im", "Ev0THREE", ts="1763890200.000300"))
    await slack.settle()

    assert len(slack.fake.of("users.info")) == 2, "asked again after the change"


def _event(kind: str, **fields: Any) -> dict[str, Any]:
    body = {**fixture("app_home_opened"), "event_id": f"Ev0{kind.upper()}"}
    body["event"] = {"type": kind, "user": ANNA, "event_ts": "1763890600.000900", **fields}
    return body


def _unknown_view() -> dict[str, Any]:
    return submission("someone_elses_form", {}, user=ANNA, view_id="V0OTHER")


UNHANDLED: list[Any] = [
    pytest.param("event", _event("pin_added", channel_id="C0PRODUCT"), id="an-event-not-ours"),
    pytest.param("event", _event("reaction_removed", reaction="ticket"), id="reaction-removed"),
    pytest.param(
        "event", with_event("message_im", "Ev0EDIT", subtype="message_changed"), id="dm-edit"
    ),
    pytest.param("interact", clicked("WaXA="), id="an-action-id-slack-made"),
    pytest.param("interact", clicked("Approve-Top"), id="an-action-id-not-of-ours"),
    pytest.param("interact", clicked("input:"), id="an-empty-input-action"),
    pytest.param("interact", _unknown_view(), id="another-apps-view"),
    pytest.param(
        "interact", {**fixture("message_action"), "callback_id": "other"}, id="other-shortcut"
    ),
    pytest.param(
        "interact",
        {**fixture("message_action"), "type": "shortcut", "callback_id": "send_to_po"},
        id="a-global-shortcut",
    ),
    pytest.param(
        "interact",
        {
            "type": "block_suggestion",
            "action_id": "menu",
            "block_id": "b",
            "value": "x",
            "team": {"id": TEAM},
            "user": {"id": ANNA},
        },
        id="options",
    ),
    pytest.param("command", {**fixture("slash_command"), "command": "/other"}, id="a-command"),
]


@pytest.mark.parametrize(("how", "body"), UNHANDLED)
async def test_what_no_listener_matches_is_acknowledged_and_not_stored(
    slack: Slack, runtime: Runtime, how: str, body: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await getattr(slack, how)(body)
    await slack.settle()

    assert response.status == 200
    assert await response.text() == ""
    assert await state.count(runtime, InboundRecord) == 0
    assert [call.method for call in slack.fake.calls if call.method != "auth.test"] == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    if how != "event" or body["event"].get("channel_type") != "im":  # the fast lane says nothing
        assert any("not handled by Heatshield" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("how", "body"), UNHANDLED)
async def test_in_socket_mode_what_no_listener_matches_is_acknowledged_too(
    slack: Slack, runtime: Runtime, how: str, body: dict[str, Any]
) -> None:
    """A 404 would leave the envelope unacknowledged, and Slack sends it again."""
    response = await slack.dispatch(body)

    assert (response.status, response.body) == (200, "")
    assert await state.count(runtime, InboundRecord) == 0


def test_every_action_the_handlers_register_is_routed_to_the_click_listener() -> None:
    assert ACTIONS, "the handlers registered their actions"
    for action_id in [*ACTIONS, MENU_ACTION]:
        assert ACTION_ID.search(action_id), action_id
        assert ACTION_ID.search(INPUT_PREFIX + action_id), action_id


async def test_a_stale_button_of_ours_is_still_answered(slack: Slack, runtime: Runtime) -> None:
    """An id of the shape the adapter renders reaches the handlers, which know every action
    and say so of one they no longer have (test_slack_loop has the whole conversation)."""
    response = await slack.interact(clicked("approve_sideways"))

    assert response.status == 200
    assert [_said(event) for event in await stored(runtime)] == [("action", "approve_sideways")]


DIRECT_MESSAGES: list[Any] = [
    pytest.param({}, id="a-person"),
    pytest.param({"subtype": "file_share"}, id="a-file"),
    pytest.param({"subtype": "thread_broadcast", "thread_ts": "1763890100.000100"}, id="broadcast"),
    pytest.param({"subtype": "message_changed"}, id="an-edit"),
    pytest.param({"bot_id": "B0DEPLOY"}, id="another-bot"),
    pytest.param({"user": "U0BOT"}, id="the-bot-itself"),
    pytest.param({"user": {"id": ANNA}}, id="user-an-object"),
    pytest.param({"text": {"a": 1}}, id="text-an-object"),
    pytest.param({"channel": None}, id="no-channel"),
]


@pytest.mark.parametrize("changes", DIRECT_MESSAGES)
async def test_the_direct_message_lane_and_bolt_agree(
    slack: Slack, runtime: Runtime, changes: dict[str, Any]
) -> None:
    fast = await slack.event(with_event("message_im", "Ev0FAST", **changes))
    by_fast_lane = await stored(runtime)
    through_bolt = await slack.dispatch(
        with_event("message_im", "Ev0BOLT", ts="1763890200.000999", **changes)
    )
    by_bolt = (await stored(runtime))[len(by_fast_lane) :]

    assert fast.status == through_bolt.status == 200

    def said(event: dict[str, Any]) -> tuple[Any, ...]:
        return event["kind"], event["conversation"], event["sender"], event["text"]

    assert [said(event) for event in by_bolt] == [said(event) for event in by_fast_lane]


# What reaches Slack's three seconds: users.info is held unanswered until the ack is seen, so a
# call made on the way to the ack would hold the ack up (and time out here).
BEFORE_THE_ACK: list[Any] = [
    pytest.param(lambda s: s.event(fixture("message_im")), id="direct-message"),
    pytest.param(lambda s: s.dispatch(fixture("message_im")), id="direct-message-through-bolt"),
    pytest.param(lambda s: s.event(fixture("app_mention")), id="mention"),
    pytest.param(lambda s: s.event(reaction(s)), id="reaction"),
    pytest.param(lambda s: s.event(fixture("app_home_opened")), id="home-opened"),
    pytest.param(lambda s: s.interact(clicked("approve_top")), id="click"),
    pytest.param(lambda s: s.interact(clicked("input:decline", DECLINE)), id="input-click"),
    pytest.param(lambda s: s.interact(input_form()), id="input-form"),
    pytest.param(lambda s: s.interact(request_form()), id="request-form"),
    pytest.param(lambda s: s.interact(fixture("message_action")), id="forward-shortcut"),
    pytest.param(lambda s: s.command({**fixture("slash_command"), "text": "x"}), id="command"),
    pytest.param(lambda s: s.command(fixture("slash_command")), id="bare-command"),
]


@pytest.mark.parametrize("send", BEFORE_THE_ACK)
async def test_no_users_info_is_made_before_the_ack(slack: Slack, send: Send) -> None:
    held = slack.fake.held["users.info"] = asyncio.Event()

    response = await asyncio.wait_for(send(slack), timeout=5)
    slack.fake.timeline.append("ack")
    assert response.status == 200
    held.set()
    await slack.settle()

    timeline = slack.fake.timeline
    assert "users.info" in timeline, "the people are looked up while handling"
    assert timeline.index("ack") < timeline.index("users.info"), timeline


async def test_a_request_form_is_stored_in_the_language_it_was_written_in(
    slack: Slack, runtime: Runtime
) -> None:
    """The form's words are the sender's (users.info, when it opened); its submission is
    stored before Slack is asked who sent it, so the form remembers its language."""
    await slack.command({**fixture("slash_command"), "user_id": BEN})
    await slack.settle()
    [opened] = slack.fake.of("views.open")
    view = opened.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    values = {
        "what": {"what": {"type": "plain_text_input", "value": "Donkere modus"}},
        "needed_by": {"needed_by": {"type": "datepicker", "selected_date": "2027-01-31"}},
    }
    # Forgotten since (what another replica, or this one an hour later, knows of Ben).
    change = {**fixture("app_home_opened"), "event_id": "Ev0CHANGE"}
    change["event"] = {"type": "user_change", "user": {"id": BEN, "team_id": TEAM}}
    await slack.event(change)
    users_info = len(slack.fake.of("users.info"))

    response = await slack.interact(
        submission(
            "heatshield_request",
            values,
            user=BEN,
            view_id="V0BEN",
            metadata=view["private_metadata"],
        )
    )

    assert response.status == 200
    assert len(slack.fake.of("users.info")) == users_info, "not on the way to the ack"
    [event] = await stored(runtime)
    assert "Nodig op: 2027-01-31" in event["text"]


@pytest.mark.parametrize("metadata", ["", "not json", "[1]", "[" * 3000, '{"l": 5}'])
async def test_a_request_form_without_its_language_is_stored_in_the_default_one(
    slack: Slack, runtime: Runtime, metadata: str
) -> None:
    values = {
        "what": {"what": {"type": "plain_text_input", "value": "A dark mode"}},
        "needed_by": {"needed_by": {"type": "datepicker", "selected_date": "2027-01-31"}},
    }
    form = submission("heatshield_request", values, user=BEN, view_id="V0BEN", metadata=metadata)

    response = await slack.interact(form)

    assert response.status == 200
    [event] = await stored(runtime)
    assert "Needed by: 2027-01-31" in event["text"]
