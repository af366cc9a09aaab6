"""Acked means stored, fast: inbound events are committed in groups before they are acked.

Each ``accept`` waits for the commit that holds its event; while one commit is in flight, the
events that arrive meanwhile wait together and go in the next one, so one commit serves many
acks at high load and adds no delay at low load. The store has its own small connection pool,
so an ack never waits for a connection behind the workers' handling. When too many acks wait
already, ``accept`` refuses at once (Overloaded): the platform is answered 503 with a
Retry-After and delivers the event again, instead of waiting past its own time-out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.kernel.clock import Clock
from bot.kernel.errors import OverloadedError
from bot.kernel.events import InboundEvent
from storage.models import InboundStatus
from storage.repositories import Database

log = logging.getLogger(__name__)
MAX_WAITING = 2_000
MAX_BATCH = 400
# A commit that has not finished after this long: the database is struggling; shed new work
# rather than let acks pile up behind it past the platforms' time-outs.
STALLED_SECONDS = 1.5


@dataclass
class _Waiting:
    row: dict[str, Any]
    done: asyncio.Future[bool]


def conversation_key(event: InboundEvent) -> str:
    """Events of one conversation (a chat, or one thread of a channel) are handled in order."""
    where = event.conversation
    return f"{where.platform}:{where.workspace}:{where.channel}:{where.thread or ''}"[:512]


def new_row(event: InboundEvent, clock: Clock) -> dict[str, Any]:
    """The inbound event as the row that stores it (plain values, the event as JSON text:
    thousands a second are made on the ack path, an ORM object each would cost more than the
    insert)."""
    now = clock.now()
    return {
        "platform": event.conversation.platform,
        "idempotency_key": event.idempotency_key,
        "workspace_external_id": event.conversation.workspace,
        "conversation_key": conversation_key(event),
        "kind": event.kind,
        "event": event.model_dump_json(),
        "status": InboundStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "received_at": now,
    }


class InboundStore:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        max_waiting: int = MAX_WAITING,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._db = db
        self._clock = clock
        self._max_waiting = max_waiting
        self._max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None
        self._commit_started: float | None = None
        self.commits = 0  # how many commits stored events (for the metrics)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def overloaded(self) -> bool:
        """Whether an event arriving now would wait too long to be stored: too many wait, or
        the database has not finished the commit under way for a while."""
        if len(self._waiting) >= self._max_waiting:
            return True
        started = self._commit_started
        return started is not None and time.monotonic() - started > STALLED_SECONDS

    async def accept(self, event: InboundEvent) -> bool:
        """Commit the event; True when it is new, False for a redelivery of one stored
        before. Raises OverloadedError instead of waiting long."""
        if self.overloaded:
            raise OverloadedError()
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(new_row(event, self._clock), done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="inbound-store")
        return await done

    async def close(self) -> None:
        """Let the commits under way finish (at shutdown)."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    async def _write(self) -> None:
        """Commit what waits, a group at a time, until nothing waits."""
        while self._waiting:
            group = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            self._commit_started = time.monotonic()
            try:
                fresh = await self._commit([w.row for w in group])
            except Exception as exc:
                log.warning("Storing %s inbound events failed: %s", len(group), exc)
                for waiting in group:
                    if not waiting.done.done():
                        waiting.done.set_exception(exc)
                continue
            finally:
                self._commit_started = None
            self.commits += 1
            for waiting in group:
                if not waiting.done.done():
                    key = (waiting.row["platform"], waiting.row["idempotency_key"])
                    waiting.done.set_result(fresh.pop(key, False))

    async def _commit(self, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], bool]:
        # A redelivery changes nothing, even of one that was given up: the workers retry what
        # may pass by themselves, and the sender has had their one answer.
        stored = await self._db.add_inbound(rows)
        return dict.fromkeys(stored, True)
