"""Outcomes people can act on: decided cards show the item as it is now, `status` says until
when, into what and by which day, and an incident the PO takes up is "being worked on" until
the PO marks it resolved, which its stakeholder hears once."""

from __future__ import annotations

import json
from typing import Any

from bot.runtime.app import Runtime
from tests import state
from tests.handlers.test_commands import set_language
from tests.handlers.test_decisions import FEATURE, INCIDENT, OTHER_FEATURE
from tests.playground import Playground, button

DUPLICATE_OF_FEATURE = (
    "Could we get a CSV export of the expense overview? Finance retypes all payouts by hand "
    "every month to reconcile them."
)


async def card_of(client: Playground, item_id: int) -> dict[str, Any]:
    """The PO's latest message that shows the item (the alert or the queue), as it reads now."""
    cards = [
        msg
        for msg in await client.inbox("po")
        if any(s.get("key") == f"item:{item_id}" for s in msg.get("sections", []))
    ]
    assert cards, f"no card shows #{item_id}"
    return cards[-1]


def status_field(card: dict[str, Any], item_id: int) -> str:
    [section] = [s for s in card["sections"] if s.get("key") == f"item:{item_id}"]
    [status] = [f["value"] for f in section["fields"] if f["label"] == "Status"]
    return str(status)


async def status_lines(client: Playground, user: str) -> str:
    await client.say(user, "status")
    return json.dumps((await client.last(user))["sections"], ensure_ascii=False)


async def test_an_incident_taken_up_is_being_worked_on_until_it_is_resolved(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", INCIDENT)
    [item] = await state.items(runtime)

    await client.click("po", "approve_top", str(item.id))

    told = (await client.last("anna"))["text"]
    assert "someone is on it" in told and "on the backlog" not in told
    card = await card_of(client, item.id)
    assert status_field(card, item.id) == "being worked on"
    assert [b["action_id"] for b in card["buttons"]] == ["resolve"], "only Resolve is left"
    outcome = json.dumps(card["sections"])
    assert "Approved by Petra (PO)" in outcome and "November" in outcome, "who and when"
    assert "being worked on" in await status_lines(client, "anna")

    before = len(await client.inbox("anna"))
    await client.click("po", "resolve", button(card, "resolve")["value"])
    await client.click("po", "resolve", str(item.id))

    anna = await client.inbox("anna")
    assert len(anna) == before + 1, "told once, though the PO clicked twice"
    assert "has been resolved" in anna[-1]["text"]
    assert "already" in (await client.last("po"))["text"]
    card = await card_of(client, item.id)
    assert card["buttons"] == [] and status_field(card, item.id) == "resolved"
    assert [d.action for d in await state.decisions(runtime)] == ["approve", "resolve"]


async def test_only_an_incident_taken_up_can_be_resolved_and_only_by_a_decider(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE)
    await client.say("anna", INCIDENT)
    feature, incident = await state.items(runtime)
    await client.click("po", "approve_top", str(feature.id))

    await client.click("po", "resolve", str(feature.id))
    assert "Only an incident" in (await client.last("po"))["text"]
    await client.click("po", "resolve", str(incident.id))
    assert "Only an incident" in (await client.last("po"))["text"], "not taken up yet"
    await client.click("po", "approve_top", str(incident.id))
    await client.click("anna", "resolve", str(incident.id))
    assert "only the PO and their delegates" in (await client.last("anna"))["text"]

    statuses = {item.id: item.status for item in await state.items(runtime)}
    assert statuses == {feature.id: "approved", incident.id: "approved"}


async def test_status_says_until_when_into_what_and_by_which_day(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE)
    await client.say("anna", OTHER_FEATURE)
    await client.say("ben", DUPLICATE_OF_FEATURE)
    feature, other, duplicate = await state.items(runtime)
    assert duplicate.duplicate_of_id == feature.id

    waiting = await status_lines(client, "anna")
    # Monday 23 November: the PO looks at it on Tuesday 24 November.
    assert "waiting for the PO; you'll hear by Tuesday 24 November" in waiting

    await client.click("po", "queue_open", str(other.id))
    await client.click("po", "queue_open", str(duplicate.id))
    await client.click("po", "defer_until", str(other.id), input="2026-12-15")
    await client.click("po", "approve_bottom", str(feature.id))
    await client.click("po", "merge", str(duplicate.id))

    anna = await status_lines(client, "anna")
    assert "deferred until Tuesday 15 December" in anna
    assert "on the backlog" in anna
    ben = await status_lines(client, "ben")
    assert f'merged into #{feature.id} \\"{feature.title}\\": on the backlog' in ben
    card = await card_of(client, other.id)
    assert status_field(card, other.id) == "deferred until Tuesday 15 December"
    card = await card_of(client, duplicate.id)
    assert status_field(card, duplicate.id) == f"merged into #{feature.id}"


async def test_status_in_dutch(client: Playground, runtime: Runtime) -> None:
    await client.say("anna", FEATURE)
    [item] = await state.items(runtime)
    await set_language(runtime, "anna", "nl")

    assert "wacht op de PO; je hoort het uiterlijk dinsdag 24 november" in await status_lines(
        client, "anna"
    )
    await client.click("po", "defer_until", str(item.id), input="2026-12-15")
    assert "uitgesteld tot dinsdag 15 december" in await status_lines(client, "anna")


async def test_a_long_request_is_shortened_on_the_pos_card(
    client: Playground, runtime: Runtime
) -> None:
    long_outage = "The checkout is down for every customer, nobody can pay! " + "x" * 6_000
    await client.say("anna", long_outage)
    [item] = await state.items(runtime)
    await client.click("po", "queue_open", str(item.id))

    [section] = [s for s in (await card_of(client, item.id))["sections"] if s["key"]]
    assert len(section["text"]) < 700
    assert section["text"].startswith("The checkout is down")
    assert "characters in all; the backlog export has the whole text" in section["text"]
    assert item.request.text == long_outage, "the request itself keeps every character"
