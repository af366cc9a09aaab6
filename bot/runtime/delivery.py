"""The outbox delivery worker: sends what handlers wrote, retrying until the platform takes it.

A platform outage delays messages and loses none; a 429 holds back the whole workspace for the
platform's Retry-After, and each conversation is sent to at the platform's pace. Each message is
claimed in the database first, so several replicas never send one twice; a message whose send
may have gone out without being marked (a time-out, a kill, a failed mark) is looked for on the
platform before it is sent again, where the platform can be asked (Slack).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.kernel.clock import Clock
from bot.kernel.errors import RetryLaterError, UndeliverableError
from bot.kernel.events import ConversationRef
from bot.kernel.outbound import OutboundMessage
from bot.kernel.ports import Reconciling, Sender
from bot.runtime.metrics import Metrics
from bot.runtime.pacing import Pacing
from storage.models import OutboxMessage
from storage.repositories import Database, UnitOfWork

log = logging.getLogger(__name__)
# How many conversations one replica sends to at once (each waits on the platform's answer).
CONCURRENCY = 8
# Longer than a send's time-out: a claim still held after it was lost (a replica died).
LEASE = timedelta(seconds=45)
# How long a send may take (the platforms' clients time out by then): one that could not
# finish within the lease is given back rather than started, or another replica might send it.
SEND_TIME = timedelta(seconds=30)
# Marking a message sent is tried again this long (a database that blips) before the lease
# is left to run out, after which the message is looked for before it is sent again.
MARK_RETRIES = (0.2, 1.0, 3.0)


@dataclass
class Lease:
    """How long this worker holds a claimed batch; renewed while the batch is being sent, so
    only a replica that died loses its claim. A row still showing the lease before the last
    renewal is held too (the renewal's commit and this record are not one step)."""

    until: datetime
    before: datetime

    def holds(self, claimed_until: datetime | None) -> bool:
        return claimed_until is not None and claimed_until in (self.until, self.before)


@dataclass(frozen=True)
class Claimed:
    id: int
    platform: str
    kind: str
    conversation: ConversationRef
    message: OutboundMessage
    attempts: int
    updates_id: int | None
    created_at: datetime
    # The lease this worker holds; a write after it ran out would overwrite another's work.
    lease: Lease
    # An earlier send may have gone out unmarked: look for it before sending.
    check_first: bool = False

    @property
    def keyed(self) -> OutboundMessage:
        """The message with the key the platform keeps with it (Slack's message metadata)."""
        return self.message.model_copy(update={"delivery_key": f"outbox:{self.id}"})


def backoff(attempts: int, *, base: float = 2.0, cap: float = 300.0) -> float:
    """Exponential backoff with full jitter, as the platforms' rate-limit guidance asks."""
    return random.uniform(base / 2, min(cap, base * 2**attempts))


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        clock: Clock,
        *,
        give_up_after: timedelta = timedelta(hours=48),
        lease: timedelta = LEASE,
        batch_size: int = 50,
        concurrency: int = CONCURRENCY,
        metrics: Metrics | None = None,
        pacing: Pacing | None = None,
        mark_retries: tuple[float, ...] = MARK_RETRIES,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._db = db
        self._metrics = metrics
        self._senders = senders
        self._clock = clock
        # An outage or a long rate limit delays a message; only one this old is given up.
        self._give_up_after = give_up_after
        self._lease = lease
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._pacing = pacing or Pacing(clock)
        self._mark_retries = mark_retries
        self._sleep = sleep  # real time: leases are renewed, and marks retried, as time passes
        self._wake = asyncio.Event()
        self._stopping = False
        # One pass at a time in a process: a caller that waits for its replies (the playground)
        # then knows that a pass running in the background has finished, too.
        self._pass = asyncio.Lock()

    def wake(self) -> None:
        """Deliver now instead of at the next poll (called after a commit that wrote messages)."""
        self._wake.set()

    def stop(self) -> None:
        """End `run` after the pass under way (a pass cut off midway leaves sends unmarked)."""
        self._stopping = True
        self._wake.set()

    async def run(self, poll_seconds: float) -> None:
        while not self._stopping:
            try:
                await self.deliver_due()
            except Exception:
                log.exception("Outbox delivery pass failed; trying again at the next poll")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=poll_seconds)
            self._wake.clear()

    async def deliver_due(self) -> int:
        """One pass over the messages due now; returns how many it delivered. A batch is
        claimed in one transaction; conversations are sent to side by side, each in order."""
        async with self._pass:
            claimed = await self._claim_batch()
            if not claimed:
                return 0
            turns = asyncio.Semaphore(self._concurrency)

            async def one_conversation(messages: list[Claimed]) -> int:
                async with turns:
                    return await self._deliver_in_order(messages)

            renewing = asyncio.create_task(self._keep(claimed[0].lease, [c.id for c in claimed]))
            try:
                counts = await asyncio.gather(
                    *(one_conversation(group) for group in _by_conversation(claimed))
                )
            finally:
                renewing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewing
            return sum(counts)

    async def _keep(self, lease: Lease, ids: list[int]) -> None:
        """Renew the batch's lease every third of it while the pass goes on (a slow platform,
        a busy machine): another replica takes the batch over only when this one died."""
        while True:
            await self._sleep(self._lease.total_seconds() / 3)
            renewed = self._clock.now() + self._lease
            held = (lease.until, lease.before)
            lease.before, lease.until = lease.until, renewed
            try:
                async with self._db.transaction() as uow:
                    await uow.outbox.renew(ids=ids, held=held, until=renewed)
            except Exception as exc:  # the lease may run out; the next holder looks first
                log.warning("Renewing the outbox lease failed: %s", exc)

    async def _claim_batch(self) -> list[Claimed]:
        async with self._db.transaction() as uow:
            now = self._clock.now()
            rows = await uow.outbox.claim_due(now=now, lease=self._lease, limit=self._batch_size)
            lease = Lease(until=now + self._lease, before=now + self._lease)
            return [
                Claimed(
                    id=row.id,
                    platform=row.platform,
                    kind=row.kind,
                    conversation=ConversationRef.model_validate(row.conversation),
                    message=OutboundMessage.model_validate(row.message),
                    attempts=row.attempts,
                    updates_id=row.updates_id,
                    created_at=row.created_at,
                    lease=lease,
                    check_first=row.check_before_send,
                )
                for row in rows
            ]

    async def _deliver_in_order(self, messages: list[Claimed]) -> int:
        """One conversation's messages in the order written: one that has to wait holds back
        those after it (released for the same moment), so none overtakes it."""
        delivered = 0
        for n, message in enumerate(messages):
            outcome = await self._deliver(message)
            if isinstance(outcome, datetime):
                await self._postpone_all(messages[n + 1 :], outcome)
                break
            delivered += outcome
        return delivered

    async def _deliver(self, claimed: Claimed) -> bool | datetime:
        """True when delivered, False when given up; else when it is to be tried again."""
        sender = self._senders.get(claimed.platform)
        if sender is None:
            return await self._retry(claimed, f"no adapter for platform {claimed.platform!r}", None)
        paused = self._pacing.paused_for(claimed.conversation)
        if paused is not None:  # the workspace answered 429 a moment ago: wait with it
            return await self._postpone(claimed, paused)
        limited = False
        try:
            return await self._attempt(sender, claimed)
        except RetryLaterError as exc:
            limited = exc.rate_limited
            if limited:
                self._pacing.pause(claimed.conversation, exc.retry_after or 30.0)
            return await self._retry(claimed, str(exc), exc.retry_after, maybe_sent=exc.maybe_sent)
        except UndeliverableError as exc:
            await self._give_up(claimed, str(exc))
            return False
        except Exception as exc:
            log.exception("Sending outbox message %s failed", claimed.id)
            return await self._retry(claimed, f"{type(exc).__name__}: {exc}", None)
        finally:
            if not limited:
                self._pacing.sent(claimed.conversation)  # no 429: the workspace may go on

    async def _attempt(self, sender: Sender, claimed: Claimed) -> bool | datetime:
        if getattr(sender, "paced", False):
            await self._pacing.turn(claimed.conversation)
        if self._clock.now() + min(SEND_TIME, self._lease / 2) > claimed.lease.until:
            return await self._postpone(claimed, timedelta(seconds=1))  # waited too long
        if claimed.kind == "update":
            return await self._update(sender, claimed)
        ref = await self._already_there(sender, claimed)
        if ref is None:
            ref = await sender.send(claimed.conversation, claimed.keyed)
        await self._mark_sent(claimed, ref)
        return True

    async def _already_there(self, sender: Sender, claimed: Claimed) -> str | None:
        """The platform's reference to a message that may have gone out unmarked, if it has
        it (a RetryLaterError means: cannot tell now, so do not send either)."""
        if not claimed.check_first or not isinstance(sender, Reconciling):
            return None
        ref = await sender.find(claimed.conversation, claimed.keyed, claimed.created_at)
        if ref is not None:
            log.info("Outbox message %s had gone out already (%s); not sent again", claimed.id, ref)
        return ref

    async def _update(self, sender: Sender, claimed: Claimed) -> bool | datetime:
        async with self._db.transaction() as uow:
            original = await uow.outbox.get(message_id=claimed.updates_id or -1)
            original_ref = original.delivered_ref if original else None
            original_status = original.status if original else "failed"
        if original_status == "failed" or original is None:
            await self._give_up(claimed, "the message to update was never delivered")
            return False
        if original_ref is None:
            # The card itself is not out yet: update after it, without spending an attempt.
            return await self._postpone(claimed, timedelta(seconds=1))
        await sender.update(claimed.conversation, original_ref, claimed.message)
        await self._mark_sent(claimed, original_ref)
        return True

    async def _mark_sent(self, claimed: Claimed, ref: str) -> None:
        """Mark it sent, trying again while the database blips: the platform has it, and a
        message left unmarked would be sent again (or, on Slack, looked for first)."""
        for pause in (*self._mark_retries, None):
            try:
                await self._write_sent(claimed, ref)
                break
            except Exception as exc:
                if pause is None:
                    log.error("Outbox message %s went out but is not marked: %s", claimed.id, exc)
                    return
                log.warning("Marking outbox message %s sent failed (%s); again", claimed.id, exc)
                await self._sleep(pause)
        if self._metrics is not None:
            lag = (self._clock.now() - claimed.created_at).total_seconds()
            self._metrics.delivery_lag_seconds.observe(max(0.0, lag))

    async def _write_sent(self, claimed: Claimed, ref: str) -> None:
        async with self._db.transaction() as uow:
            row = await self._held(uow, claimed)
            if row is None:
                return
            row.status = "sent"
            row.delivered_ref = ref
            row.sent_at = self._clock.now()
            row.claimed_until = None
            row.check_before_send = False

    async def _retry(
        self,
        claimed: Claimed,
        problem: str,
        retry_after: float | None,
        *,
        maybe_sent: bool = False,
    ) -> bool | datetime:
        attempts = claimed.attempts + 1
        if self._clock.now() - claimed.created_at >= self._give_up_after:
            await self._give_up(claimed, problem)
            return False
        delay = retry_after if retry_after is not None else backoff(attempts)
        log.warning(
            "Outbox message %s not delivered (%s); attempt %s, next in %.1fs",
            claimed.id,
            problem,
            attempts,
            delay,
        )
        at = self._clock.now() + timedelta(seconds=delay)
        async with self._db.transaction() as uow:
            row = await self._held(uow, claimed)
            if row is None:
                return at
            row.attempts = attempts
            row.last_error = problem[:2000]
            row.next_attempt_at = at
            row.claimed_until = None
            row.check_before_send = row.check_before_send or maybe_sent
        return at

    async def _postpone(self, claimed: Claimed, delay: timedelta) -> datetime:
        """Try it again after `delay`, without spending an attempt."""
        at = self._clock.now() + delay
        await self._postpone_all([claimed], at)
        return at

    async def _postpone_all(self, claimed: list[Claimed], at: datetime) -> None:
        async with self._db.transaction() as uow:
            for message in claimed:
                row = await self._held(uow, message)
                if row is not None:
                    row.next_attempt_at = max(at, row.next_attempt_at)
                    row.claimed_until = None

    async def _give_up(self, claimed: Claimed, problem: str) -> None:
        log.error("Outbox message %s could not be delivered: %s", claimed.id, problem)
        async with self._db.transaction() as uow:
            row = await self._held(uow, claimed)
            if row is None:
                return
            row.status = "failed"
            row.attempts = claimed.attempts + 1
            row.last_error = problem[:2000]
            row.claimed_until = None

    @staticmethod
    async def _held(uow: UnitOfWork, claimed: Claimed) -> OutboxMessage | None:
        """The row, locked, if this worker still holds it; None when its lease was lost."""
        row = await uow.outbox.get_for_update(message_id=claimed.id)
        if row is None or row.status != "pending" or not claimed.lease.holds(row.claimed_until):
            log.warning("Outbox message %s: lease lost, leaving it to its new holder", claimed.id)
            return None
        return row


def _by_conversation(claimed: list[Claimed]) -> list[list[Claimed]]:
    """The batch by conversation, each in the order written (a card before its update)."""
    groups: dict[tuple[str, str, str, str | None], list[Claimed]] = {}
    for message in claimed:
        where = message.conversation
        key = (where.platform, where.workspace, where.channel, where.thread)
        groups.setdefault(key, []).append(message)
    return list(groups.values())
