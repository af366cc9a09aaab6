"""Session reminders and prompts at the right local times: daylight saving, quiet hours,
working days, downtime, and several replicas sending each message exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from bot.kernel.clock import FakeClock
from bot.runtime.app import Runtime
from handlers.rhythm import tick
from tests.handlers.coaching_support import contract, ledger, preferences, run_tick, session
from tests.playground import Playground

# Tuesday 1 December 2026, 10:00 in Amsterdam.
SESSION = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def texts(messages: list[dict[str, object]]) -> list[str]:
    return [str(message["text"]) for message in messages]


def reminders(messages: list[dict[str, object]]) -> list[str]:
    return [
        t for t in texts(messages) if "coaching session" in t and ("Remind" in t or "hour" in t)
    ]


async def settle(runtime: Runtime, clock: FakeClock) -> None:
    """A first tick on Monday 23 November, so earlier weekly sends are out of the way."""
    await run_tick(runtime)


async def test_the_day_before_reminder_comes_in_the_morning_of_the_working_day_before(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await contract(runtime)
    await session(runtime, SESSION, scope="Saying no to Finance")

    clock.set(datetime(2026, 11, 30, 7, 59, tzinfo=UTC))  # Monday 08:59 in Amsterdam
    await run_tick(runtime)
    assert reminders(await client.inbox("po")) == []

    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    await run_tick(runtime)

    for user in ("po", "coach"):
        [reminder] = reminders(await client.inbox(user))
        assert "Tuesday 1 December at 10:00" in reminder
        assert "Saying no to Finance" in reminder


async def test_the_hour_before_reminder_and_nothing_twice(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await contract(runtime)
    await session(runtime, SESSION)
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    await run_tick(runtime)

    clock.set(SESSION - timedelta(hours=1))
    await run_tick(runtime)
    await run_tick(runtime)

    sent = reminders(await client.inbox("po"))
    assert len(sent) == 2
    assert "starts in an hour, at 10:00" in sent[1]
    assert "no scope agreed yet" in sent[1]


async def test_each_person_is_reminded_in_their_own_time_zone(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await preferences(runtime, "coach", timezone="America/New_York")
    await contract(runtime)
    await session(runtime, SESSION)

    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    await run_tick(runtime)
    assert reminders(await client.inbox("coach")) == []

    clock.set(datetime(2026, 11, 30, 14, 0, tzinfo=UTC))  # Monday 09:00 in New York
    await run_tick(runtime)
    [reminder] = reminders(await client.inbox("coach"))
    assert "at 04:00" in reminder  # the session's time on the coach's clock


async def test_reminders_follow_the_spring_daylight_saving_change(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 23, 9, 0, tzinfo=UTC))
    await contract(runtime, start=date(2026, 3, 23))
    # Tuesday 31 March 2026 10:00 in Amsterdam is 08:00 UTC (summer time since Sunday).
    await session(runtime, datetime(2026, 3, 31, 8, 0, tzinfo=UTC))
    await run_tick(runtime)

    clock.set(datetime(2026, 3, 30, 6, 59, tzinfo=UTC))
    await run_tick(runtime)
    assert reminders(await client.inbox("po")) == []
    clock.set(datetime(2026, 3, 30, 7, 0, tzinfo=UTC))  # Monday 09:00 summer time
    await run_tick(runtime)
    [reminder] = reminders(await client.inbox("po"))
    assert "at 10:00" in reminder


async def test_reminders_follow_the_autumn_daylight_saving_change(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 10, 19, 9, 0, tzinfo=UTC))
    await contract(runtime, start=date(2026, 10, 19))
    # Monday 26 October 2026 10:00 in Amsterdam is 09:00 UTC (winter time since Sunday);
    # the working day before is Friday 23 October, still summer time: 09:00 is 07:00 UTC.
    await session(runtime, datetime(2026, 10, 26, 9, 0, tzinfo=UTC))
    await run_tick(runtime)

    clock.set(datetime(2026, 10, 23, 7, 0, tzinfo=UTC))
    await run_tick(runtime)
    [reminder] = reminders(await client.inbox("po"))
    assert "Monday 26 October at 10:00" in reminder


async def test_quiet_hours_and_working_days_move_the_reminder(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await preferences(runtime, "po", quiet_hours="18:00-10:30", working_days="tue-fri")
    await contract(runtime)
    await session(runtime, SESSION)

    # The working day before Tuesday is Friday; 09:00 is still quiet, so 10:30.
    clock.set(datetime(2026, 11, 27, 9, 29, tzinfo=UTC))
    await run_tick(runtime)
    assert reminders(await client.inbox("po")) == []
    clock.set(datetime(2026, 11, 27, 9, 30, tzinfo=UTC))
    await run_tick(runtime)
    assert len(reminders(await client.inbox("po"))) == 1


async def test_after_downtime_what_still_makes_sense_goes_out_once(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await contract(runtime)
    await session(runtime, SESSION)
    await settle(runtime, clock)

    clock.set(SESSION - timedelta(minutes=30))  # down since Monday morning
    await run_tick(runtime)

    assert len(reminders(await client.inbox("po"))) == 2
    await run_tick(runtime)
    assert len(reminders(await client.inbox("po"))) == 2


async def test_a_reminder_for_a_session_that_started_is_dropped(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await contract(runtime)
    await session(runtime, SESSION)
    await settle(runtime, clock)

    clock.set(SESSION + timedelta(minutes=5))  # back only after the session started
    report = await run_tick(runtime)

    assert reminders(await client.inbox("po")) == []
    assert report.coaching_skipped >= 4  # two reminders each for the PO and the coach
    outcomes = await ledger(runtime)
    assert {v for k, v in outcomes.items() if k.startswith("reminder")} == {"skipped"}


async def test_two_schedulers_send_each_message_once(
    client: Playground, runtime: Runtime, replica: Runtime, clock: FakeClock
) -> None:
    await contract(runtime)
    await session(runtime, SESSION)
    await settle(runtime, clock)
    clock.set(SESSION - timedelta(minutes=30))

    reports = await asyncio.gather(
        tick(runtime.db, runtime.services), tick(replica.db, replica.services)
    )
    await runtime.worker.deliver_due()

    # Two reminders each for the PO and the coach, and the coach's digest of last week.
    assert sum(report.coaching_sent for report in reports) == 5
    assert len(reminders(await client.inbox("po"))) == 2
    assert len(reminders(await client.inbox("coach"))) == 2
