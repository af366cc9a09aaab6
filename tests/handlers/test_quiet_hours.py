"""Nothing but the one-hour reminder reaches a person outside their working day: not a notice
that a deferred item is back, not a reminder that fell due while the bot was down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.kernel.clock import FakeClock
from bot.runtime.app import Runtime
from handlers.rhythm import tick
from tests import state
from tests.handlers.coaching_support import contract, run_tick, session
from tests.playground import Playground

FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)


async def test_a_deferred_item_back_at_midnight_is_told_in_the_morning(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await client.say("anna", FEATURE)
    [item] = await state.items(runtime)
    await client.click("po", "defer_until", str(item.id), input="2026-11-26")
    told = len(await client.inbox("anna"))

    clock.set(datetime(2026, 11, 25, 23, 1, tzinfo=UTC))  # Thursday 00:01 in Amsterdam
    await run_tick(runtime)
    assert len(await client.inbox("anna")) == told

    clock.set(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))  # Thursday 08:00
    await runtime.worker.deliver_due()
    assert "back in the PO's queue" in (await client.last("anna"))["text"]


async def test_a_reminder_missed_while_down_waits_for_the_morning(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await contract(runtime)
    await session(runtime, datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # Tuesday 10:00
    await run_tick(runtime)

    clock.set(datetime(2026, 11, 30, 22, 0, tzinfo=UTC))  # back at Monday 23:00
    await run_tick(runtime)
    assert not any("Reminder" in m["text"] for m in await client.inbox("po"))

    clock.set(datetime(2026, 12, 1, 7, 0, tzinfo=UTC))  # Tuesday 08:00
    await run_tick(runtime)
    assert any("Reminder" in m["text"] for m in await client.inbox("po"))


async def test_a_new_workspace_gets_no_batch_for_a_review_that_passed_before_it_existed(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await client.say("anna", FEATURE)

    report = await tick(runtime.db, runtime.services)

    assert report.batches == 0
    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    assert (await tick(runtime.db, runtime.services)).batches == 1


async def test_a_request_waiting_for_the_stakeholder_is_not_nudged(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await client.say("anna", "Can the login button be orange instead of blue?")

    clock.set(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    await run_tick(runtime)

    assert not any("longer than promised" in m["text"] for m in await client.inbox("po"))


async def test_an_item_back_from_deferral_is_nudged_only_after_its_new_promise(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await client.say("anna", FEATURE)
    [item] = await state.items(runtime)
    clock.advance(timedelta(hours=1))
    await client.click("po", "defer_until", str(item.id), input="2026-12-07")

    clock.set(datetime(2026, 12, 7, 7, 0, tzinfo=UTC))  # back on Monday; next review Tuesday
    await run_tick(runtime)
    assert not any("longer than promised" in m["text"] for m in await client.inbox("po"))

    clock.set(datetime(2026, 12, 9, 8, 0, tzinfo=UTC))  # Wednesday 09:00: promise passed
    await run_tick(runtime)
    assert any("longer than promised" in m["text"] for m in await client.inbox("po"))
