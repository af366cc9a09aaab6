"""The scheduler's coaching work on every tick: claim what fell due, send it, exactly once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.coaching.plan import Kind, Planned, plan
from handlers.coaching.send import compose_ahead, deliver
from handlers.context import Services
from storage.coaching_models import ScheduledSend
from storage.repositories import Database

log = logging.getLogger(__name__)
# A send that keeps failing is given up after this many tries. The failures are counted in
# the send's own row, so every replica counts alike and a restart does not start over.
MAX_FAILURES = 5


# How far ahead a workspace's sends are planned at a tick: the next one within it is when the
# scheduler looks at the workspace again (the tick looks at least daily anyway).
HORIZON = timedelta(days=2)
# A send that failed, or that another replica holds, is looked at again after this long.
RETRY = timedelta(minutes=1)


@dataclass(frozen=True)
class CoachingReport:
    sent: int
    skipped: int
    # When the workspace next has a coaching send due (None: nothing within HORIZON).
    next_at: datetime | None = None


async def run_due(db: Database, services: Services, *, workspace_id: int) -> CoachingReport:
    """Send every planned message of the workspace that is due and not yet claimed; a send
    that fell due while the bot was down and no longer makes sense is recorded as skipped."""
    now = services.clock.now()
    async with db.read() as uow:
        workspace = await uow.workspaces.by_id(workspace_id=workspace_id)
        if workspace is None:
            return CoachingReport(sent=0, skipped=0)
        planned = await plan(uow, now, HORIZON, workspace=workspace)
        claimed = await uow.coaching.claimed_keys(keys=[p.key for p in planned])
    waiting = [p for p in planned if p.key not in claimed]
    sent = skipped = 0
    later: list[datetime] = []
    for planned_send in waiting:
        if planned_send.due_at > now:
            later.append(planned_send.due_at)
            continue
        if _waits(planned_send, now):
            later.append(planned_send.recipient.availability.next_allowed(now))
            continue
        outcome = await _settle(db, services, planned_send)
        sent += outcome == "sent"
        skipped += outcome == "skipped"
        if outcome is None:
            later.append(now + RETRY)
    return CoachingReport(sent=sent, skipped=skipped, next_at=min(later, default=None))


async def _settle(db: Database, services: Services, planned: Planned) -> str | None:
    """Send or skip it; None when it failed (tried again later) or another replica has it."""
    try:
        return await _claim_and_send(db, services, planned)
    except Exception:
        log.exception("Scheduled %s failed", planned.key)
        return await _after_failure(db, services, planned)


def _waits(planned: Planned, now: datetime) -> bool:
    """Held back until the recipient's working day and the end of their quiet hours; only the
    one-hour reminder cannot wait. (An expired send is settled at once, as skipped.)"""
    if planned.kind is Kind.REMINDER_HOUR or planned.expired(now):
        return False
    return not planned.recipient.availability.allows(now)


async def _after_failure(db: Database, services: Services, planned: Planned) -> str | None:
    """Count the failure; at MAX_FAILURES the send is given up for good, visibly, instead of
    failing every minute."""
    try:
        async with db.transaction() as uow:
            failures = await uow.coaching.record_failure(
                key=planned.key, kind=planned.kind, due_at=planned.due_at,
                now=services.clock.now(), give_up_at=MAX_FAILURES,
            )  # fmt: skip
    except Exception:
        # Not even counted (the database is away): the next tries count on.
        log.exception("Could not count the failure of scheduled %s", planned.key)
        return None
    if failures is None or failures < MAX_FAILURES:
        return None  # tried again later (or another replica settled it meanwhile)
    log.error("Gave up on scheduled %s after %s failures", planned.key, failures)
    return "failed"


async def _claim_and_send(db: Database, services: Services, planned: Planned) -> str | None:
    now = services.clock.now()
    outcome = "skipped" if planned.expired(now) else "sent"
    composed = None
    if outcome == "sent":
        async with db.read() as uow:
            composed = await compose_ahead(uow, services, planned)
    async with db.transaction() as uow:
        record = ScheduledSend(
            key=planned.key, kind=planned.kind, due_at=planned.due_at, outcome=outcome,
            decided_at=now,
        )  # fmt: skip
        if not await uow.coaching.claim_send(record):
            return None  # another replica has it
        if outcome == "sent":
            # The planned rows were read in the planning transaction; they are only read here.
            await deliver(uow, services, planned, composed)
    if outcome == "skipped":
        log.info("Skipped %s: it fell due at %s and no longer makes sense", planned.key,
                 planned.due_at)  # fmt: skip
    return outcome
