"""The whole loop in Slack, over real HTTP: a stakeholder asks, the PO decides with one click, and
the stakeholder hears the outcome where they asked."""

from __future__ import annotations

import json

from bot.runtime.app import Runtime
from storage.models import InboundRecord, ItemStatus, Source
from tests import state
from tests.adapters.slack.conftest import (
    ANNA,
    BEN,
    MALLORY,
    PO,
    TEAM,
    Slack,
    button,
    buttons,
    click,
    fixture,
    select,
    submission,
    with_event,
)

INCIDENT_DM = "D0ANNA"
PO_DM = "D0PETRA"


async def incident(slack: Slack) -> dict[str, object]:
    """Anna reports an incident in her DM; returns the card the PO got."""
    response = await slack.event(fixture("message_im"))
    assert response.status == 200
    await slack.settle()
    [card] = slack.fake.posts(PO_DM)
    return card


async def test_dm_to_decision_to_outcome_in_the_dm(slack: Slack, runtime: Runtime) -> None:
    card = await incident(slack)

    [ack] = slack.fake.posts(INCIDENT_DM)
    assert "right away" in ack["text"]
    assert "Anna Jansen" in ack["text"]  # the name came from users.info
    assert [call.args["users"] for call in slack.fake.of("conversations.open")] == [PO]
    assert "Urgent" in card["text"]
    assert {b["action_id"] for b in buttons(card)} >= {
        "approve_top",
        "approve_bottom",
        "defer_review",
        "input:defer_until",
        "input:decline",
        "input:ask",
    }
    assert all(
        call.authorization == "Bearer xoxb-1111-2222-heatshield" for call in slack.fake.calls
    )

    response = await slack.interact(click(card, "approve_top"))
    assert response.status == 200
    await slack.settle()

    [update] = [call.args for call in slack.fake.of("chat.update")]
    assert (update["channel"], update["ts"]) == (card["channel"], card["ts"])
    assert [b["action_id"] for b in buttons(update)] == ["resolve"], "only Resolve is left"
    assert "Approved by Petra de Vries, at the top of the backlog." in json.dumps(update["blocks"])
    told = slack.fake.posts(INCIDENT_DM)[-1]
    assert "someone is on it" in told["text"]
    assert "thread_ts" not in told
    [item] = await state.items(runtime)
    assert item.status == ItemStatus.APPROVED
    assert item.request.conversation["channel"] == INCIDENT_DM


async def test_a_channel_mention_is_answered_and_decided_in_its_thread(
    slack: Slack, runtime: Runtime
) -> None:
    response = await slack.event(fixture("app_mention"))
    assert response.status == 200
    await slack.settle()

    [ack] = slack.fake.posts("C0PRODUCT")
    assert ack["thread_ts"] == "1763890300.000200"
    [item] = await state.items(runtime)
    assert item.request.text.startswith("Can we get a CSV export")  # the mention is gone
    assert item.request.source == Source.CHANNEL

    await slack.event(with_event("message_im", "Ev0QUEUE", user=PO, channel=PO_DM, text="queue"))
    await slack.settle()
    [batch] = slack.fake.posts(PO_DM)
    await slack.interact(select(batch, f"approve_bottom|{item.id}"))  # the list's Decide menu
    await slack.settle()

    told = slack.fake.posts("C0PRODUCT")[-1]
    assert told["thread_ts"] == "1763890300.000200"
    assert "Good news" in told["text"]


async def test_a_retried_event_creates_nothing_new(slack: Slack, runtime: Runtime) -> None:
    await slack.event(fixture("message_im"))
    await slack.settle()
    posts = len(slack.fake.posts())

    again = await slack.event(
        fixture("message_im"), **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    await slack.settle()

    assert again.status == 200
    assert len(slack.fake.posts()) == posts
    assert len(await state.items(runtime)) == 1
    assert await state.count(runtime, InboundRecord) == 1


async def test_the_same_click_delivered_twice_decides_once(slack: Slack, runtime: Runtime) -> None:
    card = await incident(slack)
    await slack.interact(click(card, "approve_top"))
    await slack.interact(click(card, "approve_top"))  # the same payload: a redelivery
    await slack.settle()

    assert len(await state.decisions(runtime)) == 1
    assert len(slack.fake.of("chat.update")) == 1


async def test_a_double_click_decides_once_and_notifies_nobody_twice(
    slack: Slack, runtime: Runtime
) -> None:
    card = await incident(slack)
    stakeholder_posts = len(slack.fake.posts())
    await slack.interact(click(card, "approve_top", stamp="1"))
    await slack.interact(click(card, "approve_top", stamp="2"))  # a second, real click
    await slack.settle()

    assert len(await state.decisions(runtime)) == 1
    assert len(slack.fake.of("chat.update")) == 1
    texts = [post["text"] for post in slack.fake.posts()[stakeholder_posts:]]
    assert sum("someone is on it" in text for text in texts) == 1
    assert any("already been decided" in text for text in texts)


async def test_a_click_by_someone_who_is_not_the_po_is_refused_and_audited(
    slack: Slack, runtime: Runtime
) -> None:
    card = await incident(slack)

    response = await slack.interact(click(card, "approve_top", user=MALLORY, stamp="66"))
    await slack.settle()

    assert response.status == 200
    [entry] = await state.audit(runtime)
    assert (entry.actor_user_id, entry.action, entry.reason) == (
        MALLORY,
        "approve_top",
        "not a decider",
    )
    [item] = await state.items(runtime)
    assert item.status == ItemStatus.QUEUED
    assert slack.fake.of("chat.update") == []
    assert "only the PO" in slack.fake.posts(card["channel"])[-1]["text"]


async def test_bots_and_the_bot_itself_are_ignored(slack: Slack, runtime: Runtime) -> None:
    other_bot = await slack.event(fixture("bot_message"))
    own = await slack.event(with_event("message_im", "Ev0OWN", user="U0BOT", text="Thanks!"))
    await slack.settle()

    assert (other_bot.status, own.status) == (200, 200)
    assert await state.count(runtime, InboundRecord) == 0
    assert slack.fake.posts() == []


async def test_unknown_events_and_actions_are_acknowledged(slack: Slack, runtime: Runtime) -> None:
    pin = {**fixture("reaction_added"), "event_id": "Ev0PIN"}
    pin["event"] = {"type": "pin_added", "user": ANNA, "channel_id": "C0PRODUCT", "event_ts": "1"}
    response = await slack.event(pin)
    assert response.status == 200

    card = await incident(slack)
    stale = click(card, "approve_top", stamp="9")
    stale["actions"][0]["action_id"] = "approve_sideways"
    response = await slack.interact(stale)
    await slack.settle()

    assert response.status == 200
    assert "I don't know that button" in slack.fake.posts(card["channel"])[-1]["text"]


async def test_defer_opens_a_date_picker_and_its_submission_decides(
    slack: Slack, runtime: Runtime
) -> None:
    card = await incident(slack)

    await slack.interact(click(card, "input:defer_until"))
    await slack.settle()
    [opened] = slack.fake.of("views.open")
    view = (
        json.loads(opened.args["view"])
        if isinstance(opened.args["view"], str)
        else opened.args["view"]
    )
    assert opened.args["trigger_id"] == "4711.1.trigger"
    assert view["blocks"][0]["element"]["type"] == "datepicker"

    values = {"answer": {"answer": {"type": "datepicker", "selected_date": "2026-12-15"}}}
    response = await slack.interact(
        submission(
            "heatshield_input",
            values,
            user=PO,
            view_id="V0DEFER",
            metadata=view["private_metadata"],
        )
    )
    await slack.settle()

    assert response.status == 200
    [item] = await state.items(runtime)
    assert item.status == ItemStatus.DEFERRED
    assert "deferred your request" in slack.fake.posts(INCIDENT_DM)[-1]["text"]
    assert buttons(slack.fake.of("chat.update")[0].args) == []


async def test_decline_asks_for_the_reason_the_stakeholder_reads(
    slack: Slack, runtime: Runtime
) -> None:
    card = await incident(slack)
    await slack.interact(click(card, "input:decline"))
    await slack.settle()
    [opened] = slack.fake.of("views.open")
    view = opened.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["blocks"][0]["element"]["type"] == "plain_text_input"

    values = {
        "answer": {"answer": {"type": "plain_text_input", "value": "Known issue, fixed Monday"}}
    }
    await slack.interact(
        submission(
            "heatshield_input", values, user=PO, view_id="V0DECL", metadata=view["private_metadata"]
        )
    )
    await slack.settle()

    [item] = await state.items(runtime)
    assert item.status == ItemStatus.DECLINED
    assert "Known issue, fixed Monday" in slack.fake.posts(INCIDENT_DM)[-1]["text"]


async def test_the_request_command_opens_a_modal_whose_submission_is_a_request(
    slack: Slack, runtime: Runtime
) -> None:
    response = await slack.command(fixture("slash_command"))
    await slack.settle()

    assert response.status == 200
    [opened] = slack.fake.of("views.open")
    view = opened.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "heatshield_request"
    assert [block["block_id"] for block in view["blocks"]] == ["what", "why", "needed_by", "urgent"]

    empty = await slack.interact(
        submission(
            "heatshield_request",
            {"what": {"what": {"type": "plain_text_input", "value": " "}}},
            user=ANNA,
            view_id="V0EMPTY",
        )
    )
    assert (await empty.json())["response_action"] == "errors"
    assert await state.count(runtime, InboundRecord) == 0

    values = {
        "what": {"what": {"type": "plain_text_input", "value": "A dark mode for the dashboard"}},
        "why": {"why": {"type": "plain_text_input", "value": "The night shift gets headaches"}},
        "needed_by": {"needed_by": {"type": "datepicker", "selected_date": "2027-01-31"}},
        "urgent": {"urgent": {"type": "checkboxes", "selected_options": []}},
    }
    response = await slack.interact(
        submission("heatshield_request", values, user=ANNA, view_id="V0REQUEST")
    )
    await slack.settle()

    assert response.status == 200
    assert await response.text() == ""
    [item] = await state.items(runtime)
    assert "A dark mode for the dashboard" in item.request.text
    assert "Needed by: 2027-01-31" in item.request.text
    assert item.request.source == Source.DIRECT
    [ack] = slack.fake.posts("D0ANNA")
    assert "Anna Jansen" in ack["text"]


async def test_request_status_lists_the_stakeholders_requests(
    slack: Slack, runtime: Runtime
) -> None:
    await incident(slack)

    await slack.command({**fixture("slash_command"), "text": "status", "trigger_id": "4711.2.s"})
    await slack.settle()

    listing = slack.fake.posts("D0ANNA")[-1]
    assert "Your requests" in listing["text"]
    assert "with the PO now" in json.dumps(listing["blocks"]), "an incident does not wait"
    assert slack.fake.of("views.open") == []


async def test_the_shortcut_forwards_a_message_through_the_back_door(
    slack: Slack, runtime: Runtime
) -> None:
    response = await slack.interact(fixture("message_action"))
    await slack.settle()

    assert response.status == 200
    [item] = await state.items(runtime)
    assert item.request.source == Source.BACK_DOOR
    assert item.request.stakeholder.platform_user_id == ANNA
    assert item.request.forwarded_by is not None
    assert item.request.forwarded_by.platform_user_id == BEN
    assert "dark mode" in item.request.text
    assert "Anna Jansen" in slack.fake.posts("D0BEN")[-1]["text"]  # Ben's thanks, in Dutch
    assert "Ben Bakker" in slack.fake.posts("D0ANNA")[-1]["text"]


async def test_the_ticket_reaction_forwards_the_message(slack: Slack, runtime: Runtime) -> None:
    slack.fake.history[("C0PRODUCT", "1763890500.000400")] = {
        "type": "message",
        "user": ANNA,
        "text": "Checkout is down for everyone since 10:00, customers cannot pay!",
        "ts": "1763890500.000400",
    }

    await slack.event(fixture("reaction_added"))
    await slack.settle()

    [item] = await state.items(runtime)
    assert item.request.source == Source.BACK_DOOR
    assert item.request.stakeholder.platform_user_id == ANNA
    assert item.request.text.startswith("Checkout is down")
    assert slack.fake.posts(PO_DM), "an incident reaches the PO at once"


async def test_the_app_home_shows_the_queue_and_changes_review_times(
    slack: Slack, runtime: Runtime
) -> None:
    await incident(slack)

    await slack.event(fixture("app_home_opened"))
    await slack.settle()
    [published] = slack.fake.of("views.publish")
    view = published.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert published.args["user_id"] == PO
    assert view["type"] == "home"
    shown = json.dumps(view)
    assert "Triage queue" in shown and "Settings" in shown
    review = button({"blocks": view["blocks"]}, "input:set_review_times")

    home_click = click({"channel": "", "blocks": view["blocks"]}, "input:set_review_times")
    home_click["container"] = {"type": "view", "view_id": "V000001"}
    home_click["view"] = {"id": "V000001", "type": "home", "team_id": TEAM}
    del home_click["channel"], home_click["message"]
    await slack.interact(home_click)
    await slack.settle()
    modal = slack.fake.of("views.open")[-1].args["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    assert review["value"]
    values = {"answer": {"answer": {"type": "plain_text_input", "value": "mon,wed 14:00"}}}
    await slack.interact(
        submission(
            "heatshield_input",
            values,
            user=PO,
            view_id="V0REVIEW",
            metadata=modal["private_metadata"],
        )
    )
    await slack.settle()

    async with runtime.db.transaction() as uow:
        workspace = await uow.workspaces.get(platform="slack", external_id=TEAM)
        assert workspace is not None
        assert workspace.review_times == "mon,wed 14:00"
    assert "Monday and Wednesday at 14:00" in slack.fake.posts(PO_DM)[-1]["text"]
    assert len(slack.fake.of("views.publish")) == 2  # the home shows the change


async def test_a_reaction_whose_message_slack_cannot_give_now_is_delivered_again(
    slack: Slack, runtime: Runtime
) -> None:
    slack.fake.history[("C0PRODUCT", "1763890500.000400")] = {
        "type": "message",
        "user": ANNA,
        "text": "Checkout is down for everyone since 10:00, customers cannot pay!",
        "ts": "1763890500.000400",
    }
    slack.fake.failures["conversations.history"] = [
        (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    ]

    first = await slack.event(fixture("reaction_added"))
    assert first.status >= 500, "not acknowledged: Slack retries the event"
    assert await state.items(runtime) == []

    again = await slack.event(fixture("reaction_added"), **{"X-Slack-Retry-Num": "1"})
    await slack.settle()
    assert again.status == 200
    [item] = await state.items(runtime)
    assert item.request.text.startswith("Checkout is down")


async def test_a_request_typed_after_the_command_is_taken_at_once(
    slack: Slack, runtime: Runtime
) -> None:
    body = fixture("slash_command")
    body["text"] = "A dark mode for the dashboard, because the night shift gets headaches"

    response = await slack.command(body)
    await slack.settle()

    assert response.status == 200
    assert slack.fake.of("views.open") == []
    [item] = await state.items(runtime)
    assert item.request.text.startswith("A dark mode")
