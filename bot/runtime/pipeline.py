"""From a neutral event to a committed change: stored first, then handled exactly once.

Acked means stored: adapters call ``accept`` before they acknowledge the platform; the stored
inbound table is the queue the workers (bot/runtime/workers.py) claim from, in order per
conversation. Each claimed inbound is handled in one transaction (its change and the outbox
rows it writes); a failure that is not its content's fault (a lost connection, a time-out, a
restart) gives it back to be tried again with backoff, so the person hears one answer once it
works. Only input that can never be handled is given up, with a polite reply.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError

from bot.kernel.errors import InvalidInputError, OverloadedError
from bot.kernel.events import InboundEvent, MessageEvent, TrackerEvent
from bot.kernel.i18n import normalise_language, translate
from bot.kernel.outbound import OutboundMessage
from bot.kernel.ports import InboundHooks
from bot.runtime.inbound import InboundStore
from bot.runtime.metrics import Metrics
from handlers.context import Context, Services
from handlers.dispatch import dispatch
from handlers.outbox import new_outbox_row
from handlers.people import person_for, remember_direct_conversation, workspace_for
from handlers.trackers import from_tracker
from handlers.triage import TriageInputError
from storage.models import InboundRecord, InboundStatus, Workspace
from storage.repositories import Database, UnitOfWork

log = logging.getLogger(__name__)
EVENT_ADAPTER: TypeAdapter[InboundEvent] = TypeAdapter(InboundEvent)
CONFLICT_RETRIES = 3
# A claimed inbound is another worker's to take when its handler has not finished by then.
LEASE = timedelta(seconds=60)
# A failure that may pass is tried again this long; after it, the inbound is given up.
GIVE_UP_AFTER = timedelta(hours=24)
# What the content itself gets wrong: trying again cannot help.
PERMANENT = (ValidationError, TriageInputError, InvalidInputError)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: about 2, 4, 8 ... seconds, at most five minutes."""
    return timedelta(seconds=random.uniform(1.0, min(300.0, 2.0**attempts)))


class Pipeline:
    def __init__(
        self,
        db: Database,
        services: Services,
        on_outbox: Callable[[], None] = lambda: None,
        *,
        store_db: Database | None = None,
        owner: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._db = db
        self.metrics = metrics or Metrics()
        self._services = services
        self._on_outbox = on_outbox
        self.owner = owner or f"replica-{uuid.uuid4().hex[:12]}"
        self.store = InboundStore(store_db or db, services.clock)
        self._hooks: dict[str, InboundHooks] = {}
        self.on_stored: Callable[[], None] = lambda: None
        # (platform, external id) -> workspace id, for warming duplicate indexes.
        self._workspace_ids: dict[tuple[str, str], int] = {}

    def add_hooks(self, platform: str, hooks: InboundHooks) -> None:
        self._hooks[platform] = hooks

    def shedding(self) -> bool:
        """Whether an event arriving now should be refused (503, delivered again later)
        rather than wait too long to be stored; each refusal is counted."""
        if not self.store.overloaded:
            return False
        self.metrics.shed.inc()
        return True

    async def accept(self, event: InboundEvent) -> bool:
        """Commit the raw inbound; False when the same inbound was accepted before (unless its
        handling was given up then: a redelivery is the moment to try again)."""
        platform = event.conversation.platform
        started = time.perf_counter()
        try:
            fresh = await self.store.accept(event)
        except OverloadedError:
            self.metrics.shed.inc()
            raise
        self.metrics.ack_seconds.observe(time.perf_counter() - started)
        if fresh:
            self.metrics.accepted.labels(platform).inc()
            self.on_stored()
        else:
            self.metrics.redelivered.labels(platform).inc()
        return fresh

    async def receive(self, event: InboundEvent) -> bool:
        """Accept and handle at once, here; False for a redelivery, which changes nothing."""
        if not await self.accept(event):
            log.info("Ignoring redelivered %s %s", event.kind, event.idempotency_key)
            return False
        await self.process(event)
        return True

    async def process(self, event: InboundEvent, *, within: float = 10.0) -> None:
        """Handle this stored event now, here, unless a worker has it already; while an
        earlier event of its conversation is still being handled, wait for that one first."""
        key = (event.conversation.platform, event.idempotency_key)
        deadline = asyncio.get_running_loop().time() + within
        while not (claimed := await self.claim(limit=1, key=key)):
            if not await self._waiting(event) or asyncio.get_running_loop().time() > deadline:
                return
            await asyncio.sleep(0.01)
        for record in claimed:
            await self.handle(record)

    async def wait_handled(self, event: InboundEvent, *, within: float = 10.0) -> bool:
        """Wait until the stored event is no longer waiting or being handled (a worker of this
        or another replica may have it); False when that takes longer than ``within``."""
        deadline = asyncio.get_running_loop().time() + within
        while await self._waiting(event):
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async def _waiting(self, event: InboundEvent) -> bool:
        """Whether the stored event is due and not handled yet (waiting, or being handled)."""
        async with self._db.read() as uow:
            record = await uow.inbound.get(
                platform=event.conversation.platform, key=event.idempotency_key
            )
        if record is None or record.status not in (InboundStatus.PENDING, InboundStatus.WORKING):
            return False
        return record.status == InboundStatus.WORKING or (
            record.next_attempt_at <= self._services.clock.now()
        )

    async def claim(
        self, *, limit: int, key: tuple[str, str] | None = None
    ) -> Sequence[InboundRecord]:
        async with self._db.transaction() as uow:
            return await uow.inbound.claim(
                now=self._services.clock.now(),
                lease=LEASE,
                owner=self.owner,
                limit=limit,
                key=key,
            )

    async def release(self) -> int:
        """Give back whatever this replica holds, for another to take at once."""
        async with self._db.transaction() as uow:
            return await uow.inbound.release(owner=self.owner)

    async def handle_batch(self, records: Sequence[InboundRecord]) -> None:
        """Handle claimed inbounds (of different conversations) in one transaction: one
        commit, and the workspace, people and labels read once. If any of them fails, the
        transaction rolls back whole and each is handled on its own, with its own outcome."""
        if len(records) < 2:
            for record in records:
                await self.handle(record)
            return
        started = time.perf_counter()
        try:
            handled, lost = await self._batch(records)
        except Exception as exc:
            log.info("A batch of %s inbounds failed (%r); handling each alone", len(records), exc)
            handled, lost = [], set()
        seconds = (time.perf_counter() - started) / max(1, len(handled))
        for event in handled:
            self.metrics.handled.labels("done").inc()
            self.metrics.handling_seconds.observe(seconds)
            await self._after(event)
        if handled:
            self._on_outbox()
        settled = {event.idempotency_key for event in handled} | lost
        for record in records:
            if record.idempotency_key not in settled:
                await self.handle(record)

    async def _batch(self, records: Sequence[InboundRecord]) -> tuple[list[InboundEvent], set[str]]:
        """The batch's events handled and committed together, and the keys of those whose
        claim another worker holds now (its lease ran out): theirs to handle."""
        events = [await self._enrich(EVENT_ADAPTER.validate_python(r.event)) for r in records]
        await self._services.triage.prefetch([t for e in events if (t := message_text(e))])
        await self._warm_indexes(events)
        now = self._services.clock.now()
        handled: list[InboundEvent] = []
        outcomes: list[str] = []
        lost: set[str] = set()
        async with self._db.transaction() as uow:
            held = await uow.inbound.finish_many(
                record_ids=[r.id for r in records], owner=self.owner, now=now
            )
            for event, record in zip(events, records, strict=True):
                if record.id not in held:
                    log.info("Lost the claim on %s %s", event.kind, event.idempotency_key)
                    lost.add(record.idempotency_key)
                    continue
                outcomes.append(await self._dispatch(uow, event, now))
                handled.append(event)
        for outcome in outcomes:
            log.info("%s", outcome)
        return handled, lost

    async def handle(self, record: InboundRecord) -> None:
        """Handle one claimed inbound: done, given back to be tried again, or given up."""
        started = time.perf_counter()
        outcome = await self._outcome(record)
        self.metrics.handled.labels(outcome).inc()
        self.metrics.handling_seconds.observe(time.perf_counter() - started)
        self._on_outbox()

    async def _outcome(self, record: InboundRecord) -> str:
        try:
            event = EVENT_ADAPTER.validate_python(record.event)
        except ValidationError as exc:
            await self._give_up(record, None, exc)
            return "failed"
        try:
            event = await self._enrich(event)
            await self._handle_with_retry(event, record)
        except PERMANENT as exc:
            await self._give_up(record, event, exc)
            return "failed"
        except Exception as exc:
            return await self._later(record, event, exc)
        await self._after(event)
        return "done"

    async def _enrich(self, event: InboundEvent) -> InboundEvent:
        hooks = self._hooks.get(event.conversation.platform)
        return await hooks.enrich(event) if hooks is not None else event

    async def _after(self, event: InboundEvent) -> None:
        hooks = self._hooks.get(event.conversation.platform)
        if hooks is None:
            return
        try:
            await hooks.handled(event)
        except Exception:
            log.exception("After handling %s %s", event.kind, event.idempotency_key)

    async def _handle_with_retry(self, event: InboundEvent, record: InboundRecord) -> None:
        """Two first events of a new person or workspace race to create it: the loser's
        transaction rolls back whole, and handling it again finds what the winner made."""
        for attempt in range(CONFLICT_RETRIES):
            try:
                await self._handle(event, record)
                return
            except IntegrityError:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                log.info("Retrying %s %s after a conflict", event.kind, event.idempotency_key)

    async def _handle(self, event: InboundEvent, record: InboundRecord) -> None:
        # The embedding (the CPU-heavy part, or a call to an endpoint) before the transaction:
        # on SQLite a transaction holds the one write lock the acks need too.
        text = message_text(event)
        if text:
            await self._services.triage.prefetch([text])
            await self._warm_indexes([event])
        now = self._services.clock.now()
        async with self._db.transaction() as uow:
            if not await uow.inbound.finish(record_id=record.id, owner=self.owner, now=now):
                log.info("Lost the claim on %s %s", event.kind, event.idempotency_key)
                return
            outcome = await self._dispatch(uow, event, now)
        log.info("%s", outcome)

    async def _warm_indexes(self, events: Sequence[InboundEvent]) -> None:
        """The duplicate index of each workspace whose requests are about to be triaged,
        loaded before the handling transaction opens (it would hold SQLite's writer for as
        long as loading takes, and acks wait for that writer)."""
        candidates = self._services.candidates
        for event in events:
            if not message_text(event):
                continue
            where = (event.conversation.platform, event.conversation.workspace)
            workspace_id = self._workspace_ids.get(where)
            if workspace_id is None:
                async with self._db.read() as uow:
                    found = await uow.workspaces.get(platform=where[0], external_id=where[1])
                if found is None:
                    continue  # a first event: its workspace is made in the transaction
                workspace_id = self._workspace_ids[where] = found.id
            if not candidates.loaded(workspace_id):
                await candidates.warm(self._db, workspace_id=workspace_id)

    async def warm_every_index(self) -> None:
        """At start, in the background: every workspace with open items gets its index."""
        async with self._db.read() as uow:
            workspace_ids = await uow.backlog.workspaces_with_candidates()
        for workspace_id in workspace_ids:
            await self._services.candidates.warm(self._db, workspace_id=workspace_id)

    async def _dispatch(self, uow: UnitOfWork, event: InboundEvent, now: datetime) -> str:
        """Handles the event in the transaction; returns the log's line about it (written once
        the transaction is committed, so a batch handled again alone is not told twice)."""
        if isinstance(event, TrackerEvent):
            return await self._tracker_move(uow, event)
        workspace = await workspace_for(uow, event.conversation, self._services.defaults, now)
        actor = await person_for(uow, workspace, event.sender, now)
        if isinstance(event, MessageEvent) and event.source == "direct":
            remember_direct_conversation(actor, event.conversation)
        ctx = Context(uow, self._services, workspace, actor)
        await dispatch(event, ctx)
        return handled_line(event, workspace, ctx.outcome or event.kind)

    async def _tracker_move(self, uow: UnitOfWork, event: TrackerEvent) -> str:
        """A tracker's move is nobody's message: no person is looked up or taken in; the
        workspace is the one the webhook's receiver found by the tracker's project."""
        ref = event.conversation.workspace
        workspace = await uow.workspaces.by_id(workspace_id=int(ref)) if ref.isdigit() else None
        if workspace is None:
            return f"Handled tracker move {event.idempotency_key}: workspace {ref} is gone"
        outcome = await from_tracker(uow, self._services, workspace, event)
        return handled_line(event, workspace, outcome)

    async def _later(self, record: InboundRecord, event: InboundEvent, exc: Exception) -> str:
        """A failure that may pass: try again later, unless it has been failing for too long."""
        now = self._services.clock.now()
        if now - record.received_at > GIVE_UP_AFTER:
            await self._give_up(record, event, exc)
            return "failed"
        delay = retry_delay(record.attempts)
        log.warning(
            "Handling %s %s failed (attempt %s: %s: %s); trying again in %.0f s",
            event.kind,
            event.idempotency_key,
            record.attempts,
            type(exc).__name__,
            exc,
            delay.total_seconds(),
        )
        async with self._db.transaction() as uow:
            await uow.inbound.later(
                record_id=record.id, owner=self.owner, at=now + delay, error=_error(exc)
            )
        return "retry"

    async def _give_up(
        self, record: InboundRecord, event: InboundEvent | None, exc: Exception
    ) -> None:
        """Keep the failure with the inbound, and tell the sender politely that it is kept."""
        log.error(
            "Giving up inbound %s (%s %s): %s", record.id, record.kind, record.idempotency_key,
            _error(exc),
        )  # fmt: skip
        now = self._services.clock.now()
        async with self._db.transaction() as uow:
            await uow.inbound.fail(record_id=record.id, error=_error(exc), now=now)
            if event is not None and not isinstance(event, TrackerEvent):  # nobody to tell
                apology = _apology(event, self._services.defaults.language)
                await uow.outbox.add(new_outbox_row(event.conversation, apology, now))


def handled_line(event: InboundEvent, workspace: Workspace, outcome: str) -> str:
    """One line per handled event: what came from whom, where, and what it came to."""
    where = workspace.name or workspace.external_id
    return (
        f"Handled {event.kind} {event.idempotency_key} from {event.sender.user_id} "
        f"in workspace {workspace.id} ({where}): {outcome}"
    )


def message_text(event: InboundEvent) -> str:
    """The text a message event brings to be triaged (a forward's own text), if any."""
    if not isinstance(event, MessageEvent):
        return ""
    return (event.forward_of.text if event.forward_of else event.text).strip()


def _apology(event: InboundEvent, default_language: str) -> OutboundMessage:
    language = normalise_language(event.sender.language, default_language)
    return OutboundMessage(
        text=translate(
            language,
            "Sorry, something went wrong on my side and I could not handle your message. "
            "It is kept for the team to look into; there is no need to send it again.",
        )
    )


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]
