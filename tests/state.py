"""Reading the database in tests, to check what the API calls changed."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from bot.runtime.app import Runtime
from storage.models import (
    AuditEntry,
    BacklogItem,
    Decision,
    InboundRecord,
    OutboxMessage,
    TrackerJob,
)


async def items(runtime: Runtime) -> Sequence[BacklogItem]:
    async with runtime.db.transaction() as uow:
        return await uow.backlog.all_with_requests(workspace_id=None)


async def item(runtime: Runtime, item_id: int) -> BacklogItem:
    for candidate in await items(runtime):
        if candidate.id == item_id:
            return candidate
    raise AssertionError(f"no item {item_id}")


async def audit(runtime: Runtime) -> Sequence[AuditEntry]:
    async with runtime.db.transaction() as uow:
        return await uow.audit.entries()


async def decisions(runtime: Runtime) -> Sequence[Decision]:
    async with runtime.db.transaction() as uow:
        return (await uow.session.scalars(select(Decision).order_by(Decision.id))).all()


async def count(runtime: Runtime, model: type[InboundRecord] | type[OutboxMessage]) -> int:
    async with runtime.db.transaction() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def tracker_jobs(runtime: Runtime) -> Sequence[TrackerJob]:
    async with runtime.db.transaction() as uow:
        return (await uow.session.scalars(select(TrackerJob).order_by(TrackerJob.id))).all()
