"""The triage's questions and the PO's corrections in Slack, over real HTTP: the stakeholder's
buttons in the DM, and the card's "Correct the triage" select, as Slack sends their clicks."""

from __future__ import annotations

import dataclasses
import json

from bot.runtime.app import Runtime
from handlers.triage import Triager
from handlers.triage.model import TriageModel
from storage.models import ItemType
from tests import state
from tests.adapters.slack.conftest import (
    ANNA,
    PO,
    Slack,
    buttons,
    click,
    select,
    with_event,
)

ANNA_DM = "D0ANNA"
PO_DM = "D0PETRA"
BUG = "The export button on the orders page gives an error when I click it."
FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)


def always_unsure(runtime: Runtime) -> None:
    """Every request is in the band where the stakeholder is asked whether it is urgent."""
    model = TriageModel.load()
    limits = dataclasses.replace(
        model.thresholds, urgent_ask=0.0, urgent_auto=1.01, duplicate_auto=1.1, duplicate_ask=1.1
    )
    runtime.services.triage.triager = Triager(dataclasses.replace(model, thresholds=limits))


async def test_the_stakeholder_says_it_is_blocking_and_it_breaks_through(
    slack: Slack, runtime: Runtime
) -> None:
    always_unsure(runtime)
    await slack.event(with_event("message_im", "Ev0BUG1", text=BUG))
    await slack.settle()

    [ack] = slack.fake.posts(ANNA_DM)
    assert "is it blocking people right now?" in ack["text"]
    assert [b["action_id"] for b in buttons(ack)] == ["urgency_yes", "urgency_no"]
    assert slack.fake.posts(PO_DM) == []

    await slack.interact(click(ack, "urgency_yes", user=ANNA))
    await slack.settle()

    [card] = slack.fake.posts(PO_DM)
    assert "says this is blocking people now" in card["text"]
    [update] = [call.args for call in slack.fake.of("chat.update")]
    assert (update["channel"], update["ts"]) == (ack["channel"], ack["ts"])
    assert buttons(update) == []
    assert "You said it is blocking people now" in json.dumps(update["blocks"])
    [item] = await state.items(runtime)
    assert item.urgent and item.urgent_by == "stakeholder"


async def test_its_urgent_from_the_dm_reaches_the_po(slack: Slack, runtime: Runtime) -> None:
    await slack.event(with_event("message_im", "Ev0FEAT1", text=FEATURE))
    await slack.settle()
    [ack] = slack.fake.posts(ANNA_DM)
    assert [b["action_id"] for b in buttons(ack)] == ["escalate"]

    await slack.interact(click(ack, "escalate", user=ANNA))
    await slack.settle()

    [card] = slack.fake.posts(PO_DM)
    assert "marked this request as urgent" in card["text"]
    assert (await state.items(runtime))[0].escalated_at is not None


async def test_the_po_corrects_the_type_from_the_cards_select(
    slack: Slack, runtime: Runtime
) -> None:
    await slack.event(with_event("message_im", "Ev0FEAT2", text=FEATURE))
    await slack.settle()
    await slack.event(with_event("message_im", "Ev0QUEUE", user=PO, channel=PO_DM, text="queue"))
    await slack.settle()
    [item] = await state.items(runtime)
    [listing] = slack.fake.posts(PO_DM)
    await slack.interact(click(listing, "queue_open"))
    await slack.settle()
    queue = slack.fake.posts(PO_DM)[-1]

    await slack.interact(select(queue, f"correct_type|{item.id}:bug"))
    await slack.settle()

    item = await state.item(runtime, item.id)
    assert item.type == ItemType.BUG
    [update] = [
        call.args for call in slack.fake.of("chat.update") if call.args["ts"] == queue["ts"]
    ]
    assert update["channel"] == PO_DM
    [line] = [
        call.args for call in slack.fake.of("chat.update") if call.args["ts"] == listing["ts"]
    ]
    assert "Bug" in json.dumps(line["blocks"]), "the queue's line shows the new type too"
    assert "Petra de Vries corrected it: a bug" in json.dumps(update["blocks"])
    assert "Similar requests will be triaged that way" in slack.fake.posts(PO_DM)[-1]["text"]


async def test_a_stakeholder_cannot_pick_a_correction(slack: Slack, runtime: Runtime) -> None:
    await slack.event(with_event("message_im", "Ev0FEAT3", text=FEATURE))
    await slack.settle()
    await slack.event(with_event("message_im", "Ev0QUEUE", user=PO, channel=PO_DM, text="queue"))
    await slack.settle()
    [listing] = slack.fake.posts(PO_DM)
    await slack.interact(click(listing, "queue_open"))
    await slack.settle()
    card = slack.fake.posts(PO_DM)[-1]
    [item] = await state.items(runtime)
    before = item.type

    await slack.interact(select(card, f"correct_type|{item.id}:question", user=ANNA))
    await slack.settle()

    assert (await state.item(runtime, item.id)).type == before
    [entry] = await state.audit(runtime)
    assert (entry.actor_user_id, entry.action) == (ANNA, "correct_type")
