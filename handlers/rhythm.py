"""The shield's rhythm: deferred items come back on their date, the queue reaches the PO in
batches at review times. Each step claims its work in the database, so replicas never double it."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.kernel.outbound import OutboundMessage
from bot.kernel.review_times import latest_review, next_review, parse_review_times
from handlers import outbox
from handlers.coaching.jobs import RETRY, run_due
from handlers.coaching.plan import recipient_for
from handlers.context import Context, Services
from handlers.queue_list import post_queue
from handlers.routing import DECIDER_ROLES
from storage.models import BacklogItem, Workspace
from storage.repositories import Database, UnitOfWork

log = logging.getLogger(__name__)


# A workspace with nothing planned is still looked at once a day, so that nothing a change
# failed to mark waits longer than that.
LONGEST_WAIT = timedelta(days=1)
# How many workspaces one tick works on at once (their sends wait on the database and the
# outbox, not on this process's CPU).
CONCURRENCY = 4


@dataclass(frozen=True)
class TickReport:
    requeued: int
    batches: int
    coaching_sent: int = 0
    coaching_skipped: int = 0
    workspaces: int = 0  # how many workspaces had something due


async def tick(db: Database, services: Services, *, concurrency: int = CONCURRENCY) -> TickReport:
    """Deferred items back, then every workspace whose next moment has come: its review batch,
    its coaching sends, and when it next has work. Idle workspaces are not read at all."""
    requeued = await requeue_deferred(db, services)
    async with db.read() as uow:
        due = await uow.workspaces.due_for_tick(now=services.clock.now())
    turns = asyncio.Semaphore(concurrency)

    async def one(workspace_id: int) -> TickReport:
        async with turns:
            try:
                return await tick_workspace(db, services, workspace_id)
            except Exception:
                # Its claim lapses after RETRY: the workspace is tried again then.
                log.exception("Tick of workspace %s failed; the others go on", workspace_id)
                return TickReport(0, 0)

    reports = await asyncio.gather(*(one(workspace_id) for workspace_id in due))
    return TickReport(
        requeued=requeued,
        batches=sum(r.batches for r in reports),
        coaching_sent=sum(r.coaching_sent for r in reports),
        coaching_skipped=sum(r.coaching_skipped for r in reports),
        workspaces=len(due),
    )


async def tick_workspace(db: Database, services: Services, workspace_id: int) -> TickReport:
    """One workspace's due work, claimed so that replicas never share it; then its next moment
    is stored (unless something changed its plan meanwhile: then it stays due)."""
    now = services.clock.now()
    claimed_until = now + RETRY
    async with db.transaction() as uow:
        if not await uow.workspaces.claim_tick(
            workspace_id=workspace_id, now=now, until=claimed_until
        ):
            return TickReport(0, 0)  # another replica has it
    batches = await send_review_batch(db, services, workspace_id)
    coaching = await run_due(db, services, workspace_id=workspace_id)
    async with db.transaction() as uow:
        workspace = await uow.workspaces.by_id(workspace_id=workspace_id)
        if workspace is None:
            return TickReport(0, batches)
        slots = parse_review_times(workspace.review_times)
        moments = [now + LONGEST_WAIT, next_review(now, slots, workspace.timezone)]
        if coaching.next_at is not None:
            moments.append(coaching.next_at)
        await uow.workspaces.schedule_tick(
            workspace_id=workspace_id, claimed=claimed_until, at=max(min(moments), now + RETRY)
        )
    return TickReport(0, batches, coaching.sent, coaching.skipped)


async def requeue_deferred(db: Database, services: Services) -> int:
    """Deferred items whose date has come go back in the queue; their stakeholders are told."""
    async with db.transaction() as uow:
        due = [item.id for item in await uow.backlog.due_deferred(now=services.clock.now())]
    count = 0
    for item_id in due:
        try:
            count += await _requeue_one(db, services, item_id)
        except Exception:
            log.exception("Putting deferred item %s back failed; the others go on", item_id)
    return count


async def _requeue_one(db: Database, services: Services, item_id: int) -> int:
    async with db.transaction() as uow:
        item = await uow.backlog.requeue(item_id=item_id)
        if item is None:
            return 0  # another replica took it
        workspace = await uow.workspaces.by_id(workspace_id=item.workspace_id)
        assert workspace is not None
        await _tell_back_in_queue(uow, services, workspace, item)
        return 1


async def _tell_back_in_queue(
    uow: UnitOfWork, services: Services, workspace: Workspace, item: BacklogItem
) -> None:
    stakeholder = item.request.stakeholder
    ctx = Context(uow, services, workspace, stakeholder)
    text = ctx.tr.t(
        'Your deferred request "{title}" is back in the PO\'s queue for the next review.',
        title=item.title,
    )
    # Items come back at midnight: the stakeholder hears it when their day starts.
    availability = (await recipient_for(uow, stakeholder, workspace)).availability
    later = availability.next_allowed(services.clock.now())
    await outbox.send_direct(ctx, stakeholder, OutboundMessage(text=text), not_before=later)


async def send_review_batch(db: Database, services: Services, workspace_id: int) -> int:
    """At a review time, the queue goes to the PO and delegates as one message each."""
    async with db.transaction() as uow:
        workspace = await uow.workspaces.by_id(workspace_id=workspace_id)
        if workspace is None:
            return 0
        slot = latest_review(
            services.clock.now(), parse_review_times(workspace.review_times), workspace.timezone
        )
        if workspace.last_review_at is not None and workspace.last_review_at >= slot:
            return 0
        if not await uow.workspaces.claim_review(workspace_id=workspace.id, slot=slot):
            return 0
        sent = 0
        for decider in await uow.people.with_roles(workspace_id=workspace.id, roles=DECIDER_ROLES):
            ctx = Context(uow, services, workspace, decider)
            if await post_queue(ctx, decider, outbox.direct_conversation(decider)):
                sent += 1
        log.info("Review slot %s of workspace %s: %s batches", slot, workspace.id, sent)
        return sent
