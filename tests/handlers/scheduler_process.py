"""A scheduler in a process of its own, as another replica (or the bot after a restart) runs
it, with the weekly digest's chart broken: `python -m tests.handlers.scheduler_process URL
MOMENT TICKS` ticks TICKS times from MOMENT, a retry's wait apart. Nothing of the test's own
process is shared with it but the database."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from typing import Any

from bot.kernel.clock import FakeClock
from bot.kernel.settings import load_settings
from bot.runtime.app import build_runtime
from handlers.coaching import jobs, send


def chart_breaks(*_: Any) -> bytes:
    raise RuntimeError("chart renderer broke")


async def main(url: str, moment: str, ticks: int) -> None:
    send.digest_chart = chart_breaks  # type: ignore[assignment]
    clock = FakeClock(datetime.fromisoformat(moment))
    runtime = build_runtime(load_settings(database_url=url), clock=clock)
    try:
        for _ in range(ticks):
            await runtime.scheduler.run_once()
            clock.advance(jobs.RETRY)
    finally:
        await runtime.store_engine.dispose()
        await runtime.engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
