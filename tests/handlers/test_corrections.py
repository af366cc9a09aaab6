"""The PO corrects the triage in one click; the correction is kept like a decision, and the
workspace's own example weighs in on the next request that resembles it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.runtime.app import Runtime
from storage.models import ItemStatus, ItemType, TriageCorrection, TriageLabel
from tests import state
from tests.playground import Playground

FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)
REPORT = "The label printer in the Venlo warehouse prints blank labels."
SIMILAR = "In the Venlo warehouse the label printer only prints empty labels."


def menu_button(message: dict[str, Any], action_id: str, value: str) -> dict[str, Any]:
    for section in message["sections"]:
        for button in (section.get("menu") or {}).get("buttons", []):
            if (button["action_id"], button["value"]) == (action_id, value):
                return dict(button)
    raise AssertionError(f"no {action_id} {value} in the menus of {message['sections']}")


async def card_of(client: Playground, item_id: int) -> dict[str, Any]:
    await client.click("po", "queue_open", str(item_id))
    message = await client.last("po")
    assert any(s["key"] == f"item:{item_id}" for s in message["sections"]), message
    return message


async def corrections(runtime: Runtime) -> list[TriageCorrection]:
    async with runtime.db.transaction() as uow:
        return list((await uow.session.scalars(select(TriageCorrection))).all())


async def labels(runtime: Runtime) -> list[TriageLabel]:
    async with runtime.db.transaction() as uow:
        return list((await uow.session.scalars(select(TriageLabel))).all())


async def test_every_card_offers_the_corrections(client: Playground, runtime: Runtime) -> None:
    await client.say("anna", FEATURE)
    [item] = await state.items(runtime)

    card = await card_of(client, item.id)

    [section] = card["sections"]
    assert section["menu"]["label"] == "Correct the triage"
    offered = [(b["action_id"], b["value"]) for b in section["menu"]["buttons"]]
    assert offered == [
        ("correct_type", f"{item.id}:incident"),
        ("correct_type", f"{item.id}:bug"),
        ("correct_type", f"{item.id}:question"),
        ("correct_urgent", f"{item.id}:yes"),
    ]


async def test_a_type_correction_updates_the_card_is_audited_and_teaches(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", REPORT)
    [item] = await state.items(runtime)
    before = item.type
    assert before != ItemType.INCIDENT, "the model reads it as something that can wait"
    card = await card_of(client, item.id)
    menu_button(card, "correct_type", f"{item.id}:incident")

    await client.click("po", "correct_type", f"{item.id}:incident")

    item = await state.item(runtime, item.id)
    assert (item.type, item.urgent) == (ItemType.INCIDENT, True)
    assert (await client.last("po"))["text"] == (
        f"Noted: #{item.id} is an incident. Similar requests will be triaged that way. "
        "It is urgent now, too."
    )
    updated = next(m for m in await client.inbox("po") if m["id"] == card["id"])
    fields = {f["label"]: f["value"] for f in updated["sections"][0]["fields"]}
    assert fields["Type"] == "Incident"
    assert "Petra (PO) corrected it: an incident" in fields["Why"]
    changes = [(c.field, c.old_value, c.new_value) for c in await corrections(runtime)]
    assert changes == [("type", before, "incident"), ("urgent", "false", "true")]
    assert {c.actor.platform_user_id for c in await corrections(runtime)} == {"po"}
    [label] = await labels(runtime)
    assert (label.type, label.urgent, label.item_id) == ("incident", True, item.id)
    assert len(label.vector) == 512

    await client.say("ben", SIMILAR)

    newest = (await state.items(runtime))[-1]
    assert newest.type == ItemType.INCIDENT, newest.reasons
    assert any("Your team marked a similar request" in r["msgid"] for r in newest.reasons)


async def test_urgency_and_duplicate_corrections(client: Playground, runtime: Runtime) -> None:
    await client.say("anna", FEATURE)
    await client.say("ben", FEATURE + " Also for credit notes.")
    first, second = await state.items(runtime)
    assert second.duplicate_of_id == first.id, second.reasons

    await client.click("po", "correct_urgent", f"{second.id}:yes")
    second = await state.item(runtime, second.id)
    assert second.urgent and second.urgent_by == "po"

    await client.click("po", "not_duplicate", str(second.id))
    second = await state.item(runtime, second.id)
    assert second.duplicate_of_id is None
    assert "is not the same as #1" in (await client.last("po"))["text"]
    await client.click("po", "not_duplicate", str(second.id))
    assert "not linked to another request" in (await client.last("po"))["text"]

    await client.click("po", "correct_urgent", f"{second.id}:no")
    assert not (await state.item(runtime, second.id)).urgent
    fields = [c.field for c in await corrections(runtime)]
    assert fields == ["urgent", "duplicate", "urgent"]


async def test_only_deciders_correct_and_nonsense_changes_nothing(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE)
    [item] = await state.items(runtime)

    await client.click("anna", "correct_type", f"{item.id}:incident")
    assert "only the PO and their delegates" in (await client.last("anna"))["text"]
    [entry] = await state.audit(runtime)
    assert (entry.actor_user_id, entry.action) == ("anna", "correct_type")

    for value in (f"{item.id}:wish", f"{item.id}", "x:bug"):
        await client.click("po", "correct_type", value)
    texts = [m["text"] for m in (await client.inbox("po"))[-3:]]
    assert texts[:2] == ["I don't understand that correction; nothing was changed."] * 2
    assert "can't find that request" in texts[2]
    assert (await state.item(runtime, item.id)).type == ItemType.FEATURE
    assert await corrections(runtime) == []


async def test_a_decided_item_is_not_corrected(client: Playground, runtime: Runtime) -> None:
    await client.say("anna", FEATURE)
    [item] = await state.items(runtime)
    await client.click("po", "approve_top", str(item.id))

    await client.click("po", "correct_type", f"{item.id}:bug")

    assert "already been decided" in (await client.last("po"))["text"]
    item = await state.item(runtime, item.id)
    assert (item.type, item.status) == (ItemType.FEATURE, ItemStatus.APPROVED)
