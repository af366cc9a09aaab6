"""APScheduler inside the server: a tick that asks the database what is due.

APScheduler 3 cannot share a job store between processes, so it keeps no state of its own:
every tick derives what is due from the database and claims it there.
"""

from __future__ import annotations

import logging
import time

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime.metrics import Metrics
from handlers.context import Services
from handlers.rhythm import tick
from storage.repositories import Database

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(
        self,
        db: Database,
        services: Services,
        interval_seconds: float,
        metrics: Metrics | None = None,
    ) -> None:
        self._db = db
        self._services = services
        self._interval = interval_seconds
        self._metrics = metrics
        self._scheduler = AsyncIOScheduler(timezone="UTC")

    async def run_once(self) -> None:
        started = time.perf_counter()
        report = await tick(self._db, self._services)
        if self._metrics is not None:
            self._metrics.tick_seconds.observe(time.perf_counter() - started)
        if report.requeued or report.batches or report.coaching_sent:
            log.info(
                "Tick: %s deferred back, %s review batches, %s coaching messages",
                report.requeued,
                report.batches,
                report.coaching_sent,
            )

    async def _guarded_run(self) -> None:
        try:
            await self.run_once()
        except Exception:
            log.exception("Scheduler tick failed; the next tick tries again")

    def start(self) -> None:
        """Start inside the running loop (aiohttp's on_startup)."""
        self._scheduler.add_job(
            self._guarded_run,
            "interval",
            seconds=self._interval,
            id="tick",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(self._interval),
        )
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
