"""The PO's decisions: each recorded, the stakeholder told, the card closed, refusals audited."""

from __future__ import annotations

from datetime import timedelta

from bot.kernel.clock import FakeClock
from bot.runtime.app import Runtime
from handlers.rhythm import tick
from storage.models import ItemStatus
from tests import state
from tests.playground import Playground, button

INCIDENT = "The customer portal shows a 500 error on login since 10:00, nobody can get in!"
FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)
OTHER_FEATURE = (
    "Could the invoice page show the payment due date? Customers keep calling support to ask "
    "when they have to pay."
)


async def queue_card(client: Playground) -> dict[str, object]:
    await client.say("po", "queue")
    return await client.last("po")


async def test_approve_top_and_bottom_order_the_backlog(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE)
    await client.say("anna", OTHER_FEATURE)
    first, second = await state.items(runtime)

    await client.click("po", "approve_bottom", str(first.id))
    await client.click("po", "approve_top", str(second.id))

    await client.say("anna", "backlog")
    top = await client.last("anna")
    titles = [section["title"] for section in top["sections"]]
    assert titles[0].startswith(f"1. #{second.id}")
    assert titles[1].startswith(f"2. #{first.id}")
    assert [d.action for d in await state.decisions(runtime)] == ["approve", "approve"]


async def test_the_queue_card_is_closed_after_a_decision(client: Playground) -> None:
    await client.say("anna", FEATURE)
    card = await queue_card(client)
    item_button = button(card, "approve_top")

    await client.click("po", "approve_top", item_button["value"])

    messages = await client.inbox("po")
    reread = next(m for m in messages if m["id"] == card["id"])
    assert reread["buttons"] == []
    assert reread["updated_at"] is not None
    assert "Approved by Petra (PO), at the top of the backlog." in str(reread["sections"])


async def test_defer_to_next_review_comes_back_then_and_the_stakeholder_hears_it(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await client.say("anna", FEATURE)
    [item] = await state.items(runtime)

    await client.click("po", "defer_review", str(item.id))

    assert "deferred" in (await client.last("anna"))["text"]
    item = await state.item(runtime, item.id)
    assert item.status == ItemStatus.DEFERRED
    assert item.deferred_until is not None
    # Tuesday 24 November, 09:00 in Amsterdam is 08:00 UTC.
    assert item.deferred_until.isoformat() == "2026-11-24T08:00:00+00:00"

    clock.set(item.deferred_until + timedelta(minutes=1))
    report = await tick(runtime.db, runtime.services)
    await runtime.worker.deliver_due()

    assert report.requeued == 1
    assert (await state.item(runtime, item.id)).status == ItemStatus.QUEUED
    assert "back in the PO's queue" in (await client.last("anna"))["text"]


async def test_defer_until_a_date_checks_the_date(client: Playground, runtime: Runtime) -> None:
    await client.say("anna", FEATURE)
    [item] = await state.items(runtime)

    await client.click("po", "defer_until", str(item.id), input="not a date")
    assert "not a date I understand" in (await client.last("po"))["text"]
    await client.click("po", "defer_until", str(item.id), input="2020-01-01")
    assert "has passed" in (await client.last("po"))["text"]
    assert (await state.item(runtime, item.id)).status == ItemStatus.QUEUED

    await client.click("po", "defer_until", str(item.id), input="2027-01-15")

    item = await state.item(runtime, item.id)
    assert item.status == ItemStatus.DEFERRED
    assert item.deferred_until is not None
    assert item.deferred_until.isoformat() == "2027-01-14T23:00:00+00:00"
    assert "Friday 15 January" in (await client.last("anna"))["text"]


async def test_decline_needs_a_reason_which_the_stakeholder_reads(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE)
    [item] = await state.items(runtime)

    await client.click("po", "decline", str(item.id))
    assert "Please give a reason" in (await client.last("po"))["text"]
    assert (await state.item(runtime, item.id)).status == ItemStatus.QUEUED

    await client.click("po", "decline", str(item.id), input="Finance moves to a new system in May.")

    assert (await state.item(runtime, item.id)).status == ItemStatus.DECLINED
    told = await client.last("anna")
    assert "Finance moves to a new system in May." in told["text"]
    [decision] = await state.decisions(runtime)
    assert decision.reason == "Finance moves to a new system in May."


async def test_merge_into_the_duplicate_and_both_stakeholders_hear_the_outcome(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE)
    await client.say(
        "dirk",
        "Kunnen we een CSV-export maken van het declaratie-overzicht? Dan hoeft finance "
        "de uitbetalingen niet meer over te typen.",
    )
    original, duplicate = await state.items(runtime)
    assert duplicate.duplicate_of_id == original.id

    await client.click("po", "merge", str(duplicate.id))
    assert (await state.item(runtime, duplicate.id)).status == ItemStatus.MERGED
    assert "combined" in (await client.last("dirk"))["text"]

    await client.click("po", "approve_top", str(original.id))

    assert "on the backlog" in (await client.last("anna"))["text"]
    assert "on the backlog" in (await client.last("dirk"))["text"]


async def test_merge_without_a_duplicate_is_refused(client: Playground, runtime: Runtime) -> None:
    await client.say("anna", FEATURE)
    [item] = await state.items(runtime)

    await client.click("po", "merge", str(item.id))

    assert "no duplicate" in (await client.last("po"))["text"]
    assert (await state.item(runtime, item.id)).status == ItemStatus.QUEUED


async def test_ask_relays_the_question_and_the_answer_comes_back_to_the_po(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE)
    [item] = await state.items(runtime)

    await client.click("po", "ask", str(item.id), input="Which months do you need first?")

    question = await client.last("anna")
    assert "Which months do you need first?" in question["text"]
    assert (await state.item(runtime, item.id)).status == ItemStatus.NEEDS_INFO

    await client.say("anna", "The last three months, for the audit.")

    relayed = await client.last("po")
    assert "The last three months, for the audit." in relayed["text"]
    assert button(relayed, "approve_top")["value"] == str(item.id)
    item = await state.item(runtime, item.id)
    assert item.status == ItemStatus.QUEUED
    assert "The last three months" in (item.request.clarification or "")


async def test_a_forged_click_by_a_stakeholder_is_refused_and_audited(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", INCIDENT)
    card = await client.last("po")
    approve = button(card, "approve_top")
    anna_before = len(await client.inbox("anna"))

    await client.click("anna", "approve_top", approve["value"])

    refusal = await client.last("anna")
    assert "only the PO and their delegates" in refusal["text"]
    assert len(await client.inbox("anna")) == anna_before + 1
    [entry] = await state.audit(runtime)
    assert entry.actor_user_id == "anna"
    assert entry.action == "approve_top"
    assert entry.target == approve["value"]
    assert (await state.item(runtime, int(approve["value"]))).status == ItemStatus.QUEUED
    assert await state.decisions(runtime) == []


async def test_a_second_decision_says_so_and_notifies_nobody_twice(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", INCIDENT)
    [item] = await state.items(runtime)
    await client.click("po", "approve_top", str(item.id))
    anna_after_first = len(await client.inbox("anna"))

    await client.click("po", "decline", str(item.id), input="Changed my mind")

    assert "already been decided" in (await client.last("po"))["text"]
    assert len(await client.inbox("anna")) == anna_after_first
    assert (await state.item(runtime, item.id)).status == ItemStatus.APPROVED
    assert len(await state.decisions(runtime)) == 1


async def test_a_delegate_may_decide(client: Playground, runtime: Runtime) -> None:
    from handlers.team import TeamSpec, set_team

    async with runtime.db.transaction() as uow:
        spec = TeamSpec(platform="playground", workspace="demo", delegates=["ben"])
        await set_team(uow, spec, runtime.services.defaults, runtime.services.clock.now())
    await client.say("anna", INCIDENT)
    [item] = await state.items(runtime)
    assert button(await client.last("ben"), "approve_top")["value"] == str(item.id)

    await client.click("ben", "approve_bottom", str(item.id))

    assert (await state.item(runtime, item.id)).status == ItemStatus.APPROVED


async def test_items_of_another_workspace_cannot_be_decided(
    client: Playground, runtime: Runtime
) -> None:
    from handlers.team import TeamSpec, set_team

    async with runtime.db.transaction() as uow:
        spec = TeamSpec(platform="playground", workspace="other", po="olga")
        await set_team(uow, spec, runtime.services.defaults, runtime.services.clock.now())
    await client.say("anna", INCIDENT)
    [item] = await state.items(runtime)

    other = Playground(client.http, workspace="other")
    await other.click("olga", "approve_top", str(item.id))

    assert "can't find that request" in (await other.last("olga"))["text"]
    assert (await state.item(runtime, item.id)).status == ItemStatus.QUEUED
    [entry] = await state.audit(runtime)
    assert (entry.actor_user_id, entry.action, entry.target) == (
        "olga",
        "approve_top",
        str(item.id),
    )
    assert entry.reason == "no such item in this workspace"


async def test_an_unknown_button_is_audited(client: Playground, runtime: Runtime) -> None:
    await client.click("po", "drop_tables", "1")

    [entry] = await state.audit(runtime)
    assert (entry.action, entry.reason) == ("drop_tables", "unknown action")


async def test_an_unknown_button_changes_nothing(client: Playground, runtime: Runtime) -> None:
    await client.click("po", "launch_rocket", "1")

    assert "I don't know that button" in (await client.last("po"))["text"]


async def test_merging_into_a_decided_request_tells_its_outcome_at_once(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE)
    [original] = await state.items(runtime)
    await client.click("po", "approve_top", str(original.id))
    await client.say(
        "dirk",
        "Kunnen we een CSV-export maken van het declaratie-overzicht? Dan hoeft finance "
        "de uitbetalingen niet meer over te typen.",
    )
    duplicate = (await state.items(runtime))[1]
    assert duplicate.duplicate_of_id == original.id

    await client.click("po", "merge", str(duplicate.id))

    told = (await client.last("dirk"))["text"]
    assert "already decided: on the backlog" in told


async def test_an_outcome_reaches_every_request_merged_along_a_chain(
    client: Playground, runtime: Runtime
) -> None:
    from storage.models import ItemStatus as Status

    await client.say("anna", FEATURE)
    await client.say(
        "dirk", "Could we get a CSV export of the expense overview? Finance retypes it."
    )
    await client.say("ben", "Graag een CSV-export van het declaratie-overzicht voor finance.")
    first, second, third = await state.items(runtime)
    # ben's request was linked to dirk's, which is then merged into anna's.
    async with runtime.db.transaction() as uow:
        item = await uow.backlog.get(workspace_id=first.workspace_id, item_id=third.id)
        assert item is not None
        item.duplicate_of_id = second.id
    await client.click("po", "merge", str(second.id))
    await client.click("po", "merge", str(third.id))
    assert (await state.item(runtime, third.id)).duplicate_of_id == first.id

    await client.click("po", "decline", str(first.id), input="Finance moves to a new system.")

    assert (await state.item(runtime, first.id)).status == Status.DECLINED
    for user in ("anna", "dirk", "ben"):
        assert "Finance moves to a new system." in (await client.last(user))["text"]


async def test_two_deciders_clicking_at_once_make_one_decision(
    client: Playground, runtime: Runtime, replica: Runtime
) -> None:
    import asyncio

    from bot.kernel.events import ActionEvent, ConversationRef, PersonInfo

    await client.say("anna", INCIDENT)
    [item] = await state.items(runtime)
    told_before = len(await client.inbox("anna"))

    def click(action_id: str, key: str, text: str | None = None) -> ActionEvent:
        where = ConversationRef(platform="playground", workspace="demo", channel="@po", user="po")
        return ActionEvent(conversation=where, sender=PersonInfo(user_id="po"),
                           action_id=action_id, value=str(item.id), input=text,
                           idempotency_key=key)  # fmt: skip

    await asyncio.gather(
        runtime.pipeline.receive(click("approve_top", "c1")),
        replica.pipeline.receive(click("decline", "c2", "Not now")),
    )
    await runtime.worker.deliver_due()

    assert len(await state.decisions(runtime)) == 1
    assert len(await client.inbox("anna")) == told_before + 1
