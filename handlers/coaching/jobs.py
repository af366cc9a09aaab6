"""The scheduler's coaching work on every tick: claim what fell due, send it, exactly once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.coaching.plan import LOOKBACK, Kind, Planned, plan
from handlers.coaching.send import deliver
from handlers.context import Services
from storage.coaching_models import ScheduledSend
from storage.repositories import Database

log = logging.getLogger(__name__)
MAX_FAILURES = 5
# Failures per key in this process: a send that keeps failing is given up after MAX_FAILURES.
_FAILURES: dict[str, int] = {}


@dataclass(frozen=True)
class CoachingReport:
    sent: int
    skipped: int


async def run_due(db: Database, services: Services) -> CoachingReport:
    """Send every planned message that is due and not yet claimed; a send that fell due while
    the bot was down and no longer makes sense is recorded as skipped instead."""
    now = services.clock.now()
    async with db.transaction() as uow:
        due = [p for p in await plan(uow, now, timedelta(0)) if p.due_at <= now]
        claimed = await uow.coaching.claimed_keys(since=now - LOOKBACK - timedelta(days=1))
    sent = skipped = 0
    for planned in due:
        if planned.key in claimed or _waits(planned, now):
            continue
        try:
            outcome = await _claim_and_send(db, services, planned)
        except Exception:
            # Nothing was claimed: the send is tried again at the next tick, the others go on.
            log.exception("Scheduled %s failed", planned.key)
            outcome = await _after_failure(db, services, planned)
        sent += outcome == "sent"
        skipped += outcome == "skipped"
    return CoachingReport(sent=sent, skipped=skipped)


def _waits(planned: Planned, now: datetime) -> bool:
    """Held back until the recipient's working day and the end of their quiet hours; only the
    one-hour reminder cannot wait. (An expired send is settled at once, as skipped.)"""
    if planned.kind is Kind.REMINDER_HOUR or planned.expired(now):
        return False
    return not planned.recipient.availability.allows(now)


async def _after_failure(db: Database, services: Services, planned: Planned) -> str | None:
    failures = _FAILURES[planned.key] = _FAILURES.get(planned.key, 0) + 1
    if failures < MAX_FAILURES:
        return None
    # Give up on it for good, visibly, instead of failing every minute.
    async with db.transaction() as uow:
        now = services.clock.now()
        await uow.coaching.claim_send(
            ScheduledSend(key=planned.key, kind=planned.kind, due_at=planned.due_at,
                          outcome="failed", decided_at=now)
        )  # fmt: skip
    log.error("Gave up on scheduled %s after %s failures", planned.key, failures)
    return "failed"


async def _claim_and_send(db: Database, services: Services, planned: Planned) -> str | None:
    now = services.clock.now()
    outcome = "skipped" if planned.expired(now) else "sent"
    async with db.transaction() as uow:
        record = ScheduledSend(
            key=planned.key, kind=planned.kind, due_at=planned.due_at, outcome=outcome,
            decided_at=now,
        )  # fmt: skip
        if not await uow.coaching.claim_send(record):
            return None  # another replica has it
        if outcome == "sent":
            # The planned rows were read in the planning transaction; they are only read here.
            await deliver(uow, services, planned)
    if outcome == "skipped":
        log.info("Skipped %s: it fell due at %s and no longer makes sense", planned.key,
                 planned.due_at)  # fmt: skip
    return outcome
