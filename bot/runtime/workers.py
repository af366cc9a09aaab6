"""The workers: a fixed number per replica handle the stored inbound events.

A dispatcher claims due inbounds in batches (SKIP LOCKED on PostgreSQL, so replicas share the
work; never one that waits behind an unfinished earlier event of its conversation), embeds the
batch's texts in one go, and hands them to the workers. Nothing pending is left behind: a
failure gives the inbound back with a retry time, a worker that dies lets its lease run out,
and a stopping replica releases what it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.runtime.pipeline import EVENT_ADAPTER, Pipeline, message_text
from storage.models import InboundRecord

log = logging.getLogger(__name__)
Prefetch = Callable[[Sequence[str]], Awaitable[None]]
CLAIM_AHEAD = 4
# How long stopping waits for one step (cancelled tasks to unwind, giving claims back).
STOP_STEP_SECONDS = 5.0


def texts_of(records: Sequence[InboundRecord]) -> list[str]:
    """The texts of the batch's messages and forwards, to embed together."""
    found: list[str] = []
    for record in records:
        if record.kind != "message":
            continue
        try:
            text = message_text(EVENT_ADAPTER.validate_python(record.event))
        except ValueError:
            continue
        if text:
            found.append(text)
    return found


class Workers:
    def __init__(
        self,
        pipeline: Pipeline,
        *,
        count: int = 4,
        batch: int = 1,
        poll_seconds: float = 1.0,
        prefetch: Prefetch | None = None,
    ) -> None:
        self._pipeline = pipeline
        self._count = count
        self._batch = batch
        self._poll = poll_seconds
        self._prefetch = prefetch
        # Claimed ahead, a few per worker: one claim (and one embedding batch) serves several
        # events, and nothing claimed waits long enough to see its lease run out.
        self._depth = count * max(CLAIM_AHEAD, batch)
        self._queue: asyncio.Queue[InboundRecord] = asyncio.Queue(maxsize=self._depth)
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._busy = 0
        self.handled = 0

    @property
    def depth(self) -> int:
        """How many claimed events this replica holds at most (in hand and queued)."""
        return self._depth

    @property
    def busy(self) -> int:
        return self._busy

    @property
    def running(self) -> bool:
        """Whether this process's workers are claiming (not in a process that only receives)."""
        return bool(self._tasks)

    def wake(self) -> None:
        """Look for work now (called when an event was stored), not at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._dispatch(), name="inbound-dispatcher")]
        self._tasks += [
            asyncio.create_task(self._work(), name=f"inbound-worker-{n}")
            for n in range(self._count)
        ]

    async def stop(self, grace_seconds: float = 0.0) -> None:
        """Claim nothing more, finish what is claimed for up to `grace_seconds`, and give back
        what is left (handling cut off midway rolls back) for another replica to take."""
        if not self._tasks:
            return
        dispatcher, workers = self._tasks[0], self._tasks[1:]
        await _cancel([dispatcher])
        if grace_seconds > 0 and (self._busy or not self._queue.empty()):
            log.info("Finishing %s claimed inbound events", self._busy + self._queue.qsize())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), timeout=grace_seconds)
        await _cancel(workers)
        self._tasks = []
        _empty(self._queue)
        try:
            released = await asyncio.wait_for(self._pipeline.release(), timeout=STOP_STEP_SECONDS)
        except (TimeoutError, OSError) as exc:  # their leases run out instead
            log.warning("Could not give back the claimed inbound events: %r", exc)
            return
        if released:
            log.info("Released %s inbound events for another replica", released)

    async def drain(self) -> int:
        """Handle everything that is due, here, until nothing is (for tests and the CLI)."""
        count = 0
        while records := await self._pipeline.claim(limit=32):
            await self._warm(records)
            for start in range(0, len(records), self._batch):
                await self._pipeline.handle_batch(records[start : start + self._batch])
            count += len(records)
        return count

    async def _dispatch(self) -> None:
        while True:
            room = self._depth - self._queue.qsize()
            # Claim when a worker's share of room is free (or nothing waits), not one by one.
            worth = room >= CLAIM_AHEAD or self._queue.empty()
            records = await self._claim(room) if room > 0 and worth else []
            if records:
                await self._warm(records)
                for record in records:
                    await self._queue.put(record)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
            self._wake.clear()

    async def _claim(self, room: int) -> Sequence[InboundRecord]:
        try:
            return await self._pipeline.claim(limit=room)
        except Exception:
            log.exception("Claiming inbound events failed; trying again at the next poll")
            return []

    async def _warm(self, records: Sequence[InboundRecord]) -> None:
        if self._prefetch is None:
            return
        texts = texts_of(records)
        if texts:
            try:
                await self._prefetch(texts)
            except Exception:
                log.exception("Embedding a batch ahead failed; each is embedded on its own")

    async def _work(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            self._busy += len(batch)
            try:
                await self._pipeline.handle_batch(batch)
                self.handled += len(batch)
            except Exception:
                log.exception(
                    "Handling inbounds %s failed outside the pipeline", [r.id for r in batch]
                )
            finally:
                self._busy -= len(batch)
                for _ in batch:
                    self._queue.task_done()
                self._wake.set()  # room for the next ones


async def _cancel(tasks: Sequence[asyncio.Task[None]]) -> None:
    """Cancel the tasks and wait a moment for them (a database call cut off midway may take
    long to unwind; the process is stopping, so it is not waited for longer)."""
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    _, pending = await asyncio.wait(tasks, timeout=STOP_STEP_SECONDS)
    if pending:
        log.warning("%s tasks did not stop within %s s", len(pending), STOP_STEP_SECONDS)


def _empty(queue: asyncio.Queue[InboundRecord]) -> None:
    while not queue.empty():
        queue.get_nowait()
        queue.task_done()
