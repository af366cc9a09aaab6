"""A scheduled send that fails does not stop the others, is tried again, and is given up
visibly after a few tries; labels with "$" in them do not break the chart."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.kernel.clock import FakeClock
from bot.runtime.app import Runtime
from handlers.coaching import jobs, send
from tests.handlers.coaching_support import contract, ledger, preferences, run_tick, session
from tests.playground import Playground

SESSION = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def test_a_failing_send_does_not_block_the_others(
    client: Playground, runtime: Runtime, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await contract(runtime)
    await session(runtime, SESSION)
    await run_tick(runtime)

    def chart_breaks(*_: Any) -> bytes:
        raise RuntimeError("chart renderer broke")

    monkeypatch.setattr(send, "digest_chart", chart_breaks)
    monkeypatch.setattr(jobs, "_FAILURES", {})
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # reminders and the digest are due

    for attempt in range(1, jobs.MAX_FAILURES + 1):
        await run_tick(runtime)  # the scheduler ticks each minute; a failed send waits a minute
        clock.advance(jobs.RETRY)
        outcomes = await ledger(runtime)
        digest = "digest:1:2026-W48"
        assert outcomes.get(digest) == (None if attempt < jobs.MAX_FAILURES else "failed")

    assert any("Reminder" in m["text"] for m in await client.inbox("po"))
    assert not any("Weekly digest" in m["text"] for m in await client.inbox("coach"))


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
