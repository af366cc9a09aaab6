"""A scheduled send that fails does not stop the others, is tried again, and is given up
visibly after a few tries, counted in the database: replicas count together and a restart
does not start the count over; labels with "$" in them do not break the chart."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.kernel.clock import FakeClock
from bot.runtime.app import Runtime
from handlers.coaching import jobs, send
from tests.handlers.coaching_support import contract, ledger, preferences, run_tick, session
from tests.playground import Playground

SESSION = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DIGEST = "digest:1:2026-W48"
ROOT = Path(__file__).resolve().parents[2]


def chart_breaks(*_: Any) -> bytes:
    raise RuntimeError("chart renderer broke")


async def digest_breaks(
    runtime: Runtime, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A contract whose reminders and weekly digest are due, with the digest's chart broken."""
    await contract(runtime)
    await session(runtime, SESSION)
    await run_tick(runtime)
    monkeypatch.setattr(send, "digest_chart", chart_breaks)
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # reminders and the digest are due


async def digest_record(runtime: Runtime) -> tuple[str | None, int]:
    """The digest's outcome in the ledger and how often it failed."""
    async with runtime.db.read() as uow:
        record = await uow.coaching.send_record(key=DIGEST)
    return (record.outcome, record.failures) if record is not None else (None, 0)


async def tick_in_another_process(runtime: Runtime, clock: FakeClock, ticks: int = 1) -> None:
    """Ticks of a scheduler in a new process on the same database (the clock moves on as
    those ticks did)."""
    url = runtime.engine.url.render_as_string(hide_password=False)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.handlers.scheduler_process",
        url, clock.now().isoformat(), str(ticks),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    for _ in range(ticks):
        clock.advance(jobs.RETRY)


async def test_a_failing_send_does_not_block_the_others(
    client: Playground, runtime: Runtime, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await digest_breaks(runtime, clock, monkeypatch)

    for attempt in range(1, jobs.MAX_FAILURES + 1):
        await run_tick(runtime)  # the scheduler ticks each minute; a failed send waits a minute
        clock.advance(jobs.RETRY)
        given_up = attempt == jobs.MAX_FAILURES
        assert await digest_record(runtime) == ("failed" if given_up else "retrying", attempt)

    assert (await ledger(runtime))[DIGEST] == "failed"
    assert any("Reminder" in m["text"] for m in await client.inbox("po"))
    assert not any("Weekly digest" in m["text"] for m in await client.inbox("coach"))
    await run_tick(runtime)  # given up for good: not tried again
    assert await digest_record(runtime) == ("failed", jobs.MAX_FAILURES)


async def test_two_replicas_count_the_failures_of_a_send_together(
    client: Playground,
    runtime: Runtime,
    replica: Runtime,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each replica's scheduler takes a turn; the send is given up after MAX_FAILURES tries in
    all, not after MAX_FAILURES on each. The last replica runs in a process of its own, so
    nothing but the database can carry the count."""
    await digest_breaks(runtime, clock, monkeypatch)
    assert replica.scheduler is not runtime.scheduler

    for attempt in range(1, jobs.MAX_FAILURES):
        scheduler = (runtime if attempt % 2 else replica).scheduler
        await scheduler.run_once()
        clock.advance(jobs.RETRY)
        assert await digest_record(runtime) == ("retrying", attempt)
    await tick_in_another_process(runtime, clock)

    assert await digest_record(runtime) == ("failed", jobs.MAX_FAILURES)
    await runtime.worker.deliver_due()
    assert not any("Weekly digest" in m["text"] for m in await client.inbox("coach"))


async def test_the_count_of_failures_survives_a_restart(
    client: Playground, runtime: Runtime, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tries fail here; the bot restarts (a new process on the same database), and its
    tries go on counting from there: it gives up after MAX_FAILURES in all."""
    await digest_breaks(runtime, clock, monkeypatch)
    for _ in range(2):
        await run_tick(runtime)
        clock.advance(jobs.RETRY)
    assert await digest_record(runtime) == ("retrying", 2)

    await tick_in_another_process(runtime, clock, ticks=jobs.MAX_FAILURES - 3)
    assert await digest_record(runtime) == ("retrying", jobs.MAX_FAILURES - 1)
    await tick_in_another_process(runtime, clock)

    assert await digest_record(runtime) == ("failed", jobs.MAX_FAILURES)


async def test_a_send_that_failed_once_and_then_works_is_sent_once(
    client: Playground, runtime: Runtime, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await digest_breaks(runtime, clock, monkeypatch)
    await run_tick(runtime)
    clock.advance(jobs.RETRY)
    assert await digest_record(runtime) == ("retrying", 1)

    monkeypatch.undo()  # the chart renders again
    await run_tick(runtime)
    clock.advance(jobs.RETRY)
    await run_tick(runtime)

    assert await digest_record(runtime) == ("sent", 1)
    digests = [m for m in await client.inbox("coach") if "Weekly digest" in m["text"]]
    assert len(digests) == 1


async def test_a_group_name_with_dollars_still_makes_a_digest(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await preferences(runtime, "anna", group="R&D $x^$")
    await contract(runtime, confidentiality="names")
    await client.say("anna", "Could we get a dark mode? Night shifts find the screens tiring.")
    await run_tick(runtime)

    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    await run_tick(runtime)

    digest = next(m for m in await client.inbox("coach") if "Weekly digest" in m["text"])
    assert digest["image"] is not None
    assert "R&D $x^$" in str(digest["sections"])
