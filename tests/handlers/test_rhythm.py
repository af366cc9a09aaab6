"""Review batches at the workspace's review times, in its own time zone, once per slot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.kernel.clock import FakeClock
from bot.kernel.review_times import latest_review, next_review, parse_review_times
from bot.runtime.app import Runtime
from handlers.rhythm import tick
from handlers.team import TeamSpec, set_team
from tests.playground import Playground

FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)


async def run_tick(runtime: Runtime) -> int:
    report = await tick(runtime.db, runtime.services)
    await runtime.worker.deliver_due()
    return report.batches


async def test_the_queue_reaches_the_po_at_the_review_time_once(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await run_tick(runtime)  # a first tick settles the slot that had passed already
    await client.say("anna", FEATURE)

    clock.set(datetime(2026, 11, 24, 7, 59, tzinfo=UTC))  # Tuesday 08:59 in Amsterdam
    assert await run_tick(runtime) == 0
    assert await client.inbox("po") == []

    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    assert await run_tick(runtime) == 1
    batch = await client.last("po")
    assert "1 request waiting" in batch["text"]
    assert batch["buttons"]

    clock.advance(timedelta(minutes=1))
    assert await run_tick(runtime) == 0
    assert len(await client.inbox("po")) == 1


async def test_an_empty_queue_does_not_disturb_the_po(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))

    assert await run_tick(runtime) == 0
    assert await client.inbox("po") == []


async def test_a_review_missed_while_down_goes_out_at_the_next_tick(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await run_tick(runtime)
    await client.say("anna", FEATURE)

    clock.set(datetime(2026, 11, 24, 13, 0, tzinfo=UTC))  # down from 09:00 until 14:00
    assert await run_tick(runtime) == 1


async def test_two_replicas_send_one_batch_per_slot(
    client: Playground, runtime: Runtime, replica: Runtime, clock: FakeClock
) -> None:
    import asyncio

    await run_tick(runtime)
    await client.say("anna", FEATURE)
    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))

    reports = await asyncio.gather(
        tick(runtime.db, runtime.services), tick(replica.db, replica.services)
    )
    await runtime.worker.deliver_due()

    assert sorted(report.batches for report in reports) == [0, 1]
    assert len(await client.inbox("po")) == 1


async def test_delegates_get_the_batch_too(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    async with runtime.db.transaction() as uow:
        spec = TeamSpec(platform="playground", workspace="demo", delegates=["ben"])
        await set_team(uow, spec, runtime.services.defaults, clock.now())
    await run_tick(runtime)
    await client.say("anna", FEATURE)
    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))

    assert await run_tick(runtime) == 2
    assert (await client.last("ben"))["buttons"]


def test_review_times_follow_daylight_saving_in_amsterdam() -> None:
    slots = parse_review_times("tue,thu 09:00")
    # Before the switch on Sunday 29 March 2026, 09:00 is 08:00 UTC; after it, 07:00 UTC.
    assert next_review(
        datetime(2026, 3, 26, 0, 0, tzinfo=UTC), slots, "Europe/Amsterdam"
    ) == datetime(2026, 3, 26, 8, 0, tzinfo=UTC)
    assert next_review(
        datetime(2026, 3, 27, 0, 0, tzinfo=UTC), slots, "Europe/Amsterdam"
    ) == datetime(2026, 3, 31, 7, 0, tzinfo=UTC)
    # And back on Sunday 25 October 2026.
    assert next_review(
        datetime(2026, 10, 23, 0, 0, tzinfo=UTC), slots, "Europe/Amsterdam"
    ) == datetime(2026, 10, 27, 8, 0, tzinfo=UTC)


def test_a_review_in_the_skipped_hour_still_happens() -> None:
    slots = parse_review_times("sun 02:30")
    moment = next_review(datetime(2026, 3, 28, 12, 0, tzinfo=UTC), slots, "Europe/Amsterdam")
    assert moment == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 summer time


def test_latest_review_is_at_or_before_the_moment() -> None:
    slots = parse_review_times("mon 09:00; fri 14:30")
    at = datetime(2026, 11, 27, 13, 30, tzinfo=UTC)  # Friday 14:30 in Amsterdam
    assert latest_review(at, slots, "Europe/Amsterdam") == at
    assert latest_review(at - timedelta(seconds=1), slots, "Europe/Amsterdam") == datetime(
        2026, 11, 23, 8, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("", "give days"),
        ("tue 9h", "not a time"),
        ("funday 09:00", "unknown day"),
        ("09:00", "needs"),
    ],
)
def test_bad_review_times_are_explained(spec: str, problem: str) -> None:
    from bot.kernel.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match=problem):
        parse_review_times(spec)


def test_dutch_day_names_are_understood() -> None:
    assert parse_review_times("di,do 09:00") == parse_review_times("tue,thu 09:00")
