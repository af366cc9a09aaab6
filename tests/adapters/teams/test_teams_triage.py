"""The triage's questions and the PO's corrections in Teams, over real HTTP: the stakeholder's
Adaptive Card buttons, and the card's "Correct the triage" (an Action.ShowCard)."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.runtime.app import Runtime
from handlers.triage import Triager
from handlers.triage.model import TriageModel
from storage.models import ItemType
from tests import state
from tests.adapters.teams.conftest import (
    ANNA,
    ANNA_CHAT,
    PO,
    TENANT,
    FakeConnector,
    Teams,
    activity,
    card_of,
    submit_data,
    submits,
)

BUG = "The export button on the orders page gives an error when I click it."
FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)


def from_anna(text: str, activity_id: str) -> dict[str, Any]:
    return activity("personal_message", id=activity_id, text=text)


def submit_in(chat: str, user: str, data: dict[str, Any], activity_id: str) -> dict[str, Any]:
    sender = (
        activity("personal_message")["from"] if user == ANNA else activity("card_submit")["from"]
    )
    conversation = {"conversationType": "personal", "tenantId": TENANT, "id": chat}
    return activity(
        "card_submit", id=activity_id, conversation=conversation, value=data, **{"from": sender}
    )


async def test_the_stakeholder_answers_on_the_card_and_it_breaks_through(
    teams: Teams, connector: FakeConnector, runtime: Runtime
) -> None:
    model = TriageModel.load()
    limits = dataclasses.replace(
        model.thresholds, urgent_ask=0.0, urgent_auto=1.01, duplicate_auto=1.1, duplicate_ask=1.1
    )
    runtime.services.triage.triager = Triager(dataclasses.replace(model, thresholds=limits))

    assert await teams.send(from_anna(BUG, "1763891200001")) == 1
    [ack_post] = connector.posts(ANNA_CHAT)
    ack = card_of(ack_post.body)
    assert "is it blocking people right now?" in str(ack)
    assert [s["data"]["action_id"] for s in submits(ack)] == ["urgency_yes", "urgency_no"]

    await teams.send(submit_in(ANNA_CHAT, ANNA, submit_data(ack, "urgency_yes"), "1763891200002"))

    [created] = connector.created()
    assert created.body["members"] == [{"id": PO}]
    [update] = [call for call in connector.updates() if call.conversation == ANNA_CHAT]
    assert update.activity_id == ack_post.answered_id
    assert submits(card_of(update.body)) == []
    assert "You said it is blocking people now" in str(card_of(update.body))
    [item] = await state.items(runtime)
    assert item.urgent and item.urgent_by == "stakeholder"


async def test_the_po_corrects_from_the_cards_show_card(
    teams: Teams, connector: FakeConnector, runtime: Runtime
) -> None:
    await teams.send(from_anna(FEATURE, "1763891300001"))
    [ack_post] = connector.posts(ANNA_CHAT)
    assert [s["data"]["action_id"] for s in submits(card_of(ack_post.body))] == ["escalate"]
    [item] = await state.items(runtime)
    await teams.send(
        submit_in(ANNA_CHAT, ANNA, {"action_id": "escalate", "value": str(item.id)}, "17638913002")
    )
    [created] = connector.created()
    po_chat = created.answered_id
    assert po_chat is not None
    [card_post] = connector.posts(po_chat)
    card = card_of(card_post.body)
    [menu] = [
        action
        for action in _walk(card)
        if action.get("type") == "Action.ShowCard" and action.get("title") == "Correct the triage"
    ]
    choices = {a["data"]["value"] for a in menu["card"]["actions"]}
    assert f"{item.id}:bug" in choices and f"{item.id}:no" in choices

    await teams.send(
        submit_in(
            po_chat, PO, {"action_id": "correct_type", "value": f"{item.id}:bug"}, "1763891300003"
        )
    )

    assert (await state.item(runtime, item.id)).type == ItemType.BUG
    [update] = [call for call in connector.updates() if call.conversation == po_chat]
    assert update.activity_id == card_post.answered_id
    assert "corrected it: a bug" in str(card_of(update.body))


def _walk(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(_walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_walk(value))
    return found
