"""The tracker's outbox, as a decision writes to it: a job to create the approved request in
the workspace's tracker, in the same transaction as the approval (handlers/trackers.py and the
runtime's tracker worker do the rest)."""

from __future__ import annotations

from handlers.context import Context
from storage.models import BacklogItem, TrackerJob


async def ask_to_create(ctx: Context, item: BacklogItem, *, top: bool) -> bool:
    """With the approval: a job to create the item in the workspace's tracker, if it has one."""
    if await ctx.uow.trackers.of_workspace(workspace_id=ctx.workspace.id) is None:
        return False
    now = ctx.clock.now()
    await ctx.uow.trackers.add_job(
        TrackerJob(item_id=item.id, top=top, status="pending", attempts=0,
                   next_attempt_at=now, created_at=now)
    )  # fmt: skip
    return True
