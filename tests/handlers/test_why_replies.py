"""Replies to the "why" question that are no answer: asked once more, or passed on as it is,
never stored as the request's reason; a real answer shows on the PO's card at once."""

from __future__ import annotations

import json

import pytest

from bot.runtime.app import Runtime
from handlers.triage import reason_texts as m
from handlers.why_replies import non_answer
from storage.models import ItemStatus
from tests import state
from tests.handlers.test_routing import set_person
from tests.playground import Playground

WITHOUT_WHY = "Can the login button be orange instead of blue?"


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        ("no idea", "unsure"),
        ("I don't know", "unsure"),
        ("Hmm, what do you mean?", "unsure"),
        ("??", "unsure"),
        ("geen idee", "unsure"),
        ("Wat bedoel je?", "unsure"),
        ("skip", "skip"),
        ("No idea, just skip it", "skip"),
        ("n/a", "skip"),
        ("overslaan", "skip"),
        ("Laat maar", "skip"),
        ("I don't know, but support gets ten calls a week about it", None),
        ("Because marketing wants our brand colour everywhere", None),
        ("Geen idee, maar klanten vragen er elke week om", None),
        ("branding", None),
        ("", None),
    ],
)
def test_what_is_no_answer(reply: str, kind: str | None) -> None:
    assert non_answer(reply) == kind


def reason_ids(item: object) -> list[str]:
    return [r["msgid"] for r in item.reasons]  # type: ignore[attr-defined]


async def test_an_unsure_reply_is_asked_again_and_skip_passes_it_on_as_it_is(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", WITHOUT_WHY)

    await client.say("anna", "no idea")

    again = (await client.last("anna"))["text"]
    assert "what goes wrong, or takes too long" in again and "'skip'" in again
    [item] = await state.items(runtime)
    assert item.status == ItemStatus.NEEDS_INFO, "still waiting for the reason"
    assert item.request.clarification is None, "'no idea' is not stored as the reason"

    await client.say("anna", "skip")

    passed = (await client.last("anna"))["text"]
    assert 'passed your request "' in passed and "as it is" in passed
    [item] = await state.items(runtime)
    assert item.status == ItemStatus.QUEUED
    assert item.needs_info, "the PO still sees that it gives no reason"
    assert item.request.clarification is None
    assert m.STAKEHOLDER_NO_WHY in reason_ids(item)
    assert m.NEEDS_INFO not in reason_ids(item)


async def test_unsure_twice_passes_it_on_and_a_later_message_is_a_new_request(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", WITHOUT_WHY)
    await client.say("anna", "I don't know")
    await client.say("anna", "what do you mean?")

    assert "as it is" in (await client.last("anna"))["text"]
    [item] = await state.items(runtime)
    assert item.status == ItemStatus.QUEUED

    await client.say("anna", "Could the invoices also be sent as PDF to our accountant?")
    assert len(await state.items(runtime)) == 2, "no question is open any more"


async def test_a_real_answer_after_asking_again_joins_and_updates_the_pos_card(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", WITHOUT_WHY)
    [item] = await state.items(runtime)
    await client.click("po", "queue_open", str(item.id))
    [card] = [msg for msg in await client.inbox("po") if msg.get("sections")]
    assert "Gives no reason" in json.dumps(card["sections"])

    await client.say("anna", "hmm?")
    await client.say("anna", "Our brand colour is orange; marketing wants a consistent look.")

    [item] = await state.items(runtime)
    assert item.status == ItemStatus.QUEUED and not item.needs_info
    assert item.request.clarification == (
        "Our brand colour is orange; marketing wants a consistent look."
    )
    [card] = [msg for msg in await client.inbox("po") if msg.get("sections")]
    shown = json.dumps(card["sections"])
    assert "The stakeholder explained why" in shown and "brand colour" in shown
    assert "Gives no reason" not in shown, "the card no longer says there is no reason"


async def test_the_second_question_is_in_the_stakeholders_language(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", WITHOUT_WHY)
    await set_person(runtime, "anna", language="nl")

    await client.say("anna", "geen idee")

    assert "Of zeg 'overslaan'" in (await client.last("anna"))["text"]
    await client.say("anna", "overslaan")
    assert "zoals het is aan de PO doorgegeven" in (await client.last("anna"))["text"]
