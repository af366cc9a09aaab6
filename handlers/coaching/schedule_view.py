"""What the scheduler will send in a workspace, in each recipient's own local time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.kernel.review_times import next_review, parse_review_times
from handlers.coaching.plan import plan
from handlers.routing import DECIDER_ROLES
from storage.models import Workspace
from storage.repositories import UnitOfWork


async def planned_rows(
    uow: UnitOfWork, workspace: Workspace, now: datetime, days: int
) -> list[dict[str, Any]]:
    horizon = timedelta(days=days)
    planned = [p for p in await plan(uow, now, horizon, workspace=workspace) if p.due_at >= now]
    claimed = await uow.coaching.claimed_keys(keys=[p.key for p in planned])
    rows = [
        _row(p.due_at, p.recipient.availability.timezone, str(p.kind), p.recipient.label, p.key)
        for p in planned
        if p.key not in claimed
    ]
    rows += await _review_batches(uow, workspace, now, now + horizon)
    return sorted(rows, key=lambda row: row["utc"])


async def _review_batches(
    uow: UnitOfWork, workspace: Workspace, now: datetime, until: datetime
) -> list[dict[str, Any]]:
    slots = parse_review_times(workspace.review_times)
    deciders = await uow.people.with_roles(workspace_id=workspace.id, roles=DECIDER_ROLES)
    rows = []
    moment = next_review(now, slots, workspace.timezone)
    while moment <= until:
        for person in deciders:
            timezone = person.timezone or workspace.timezone
            rows.append(_row(moment, timezone, "review_batch", person.name, f"review:{moment}"))
        moment = next_review(moment, slots, workspace.timezone)
    return rows


def _row(moment: datetime, timezone: str, kind: str, recipient: str, key: str) -> dict[str, Any]:
    return {
        "utc": moment.isoformat(),
        "local_time": moment.astimezone(ZoneInfo(timezone)).strftime("%a %Y-%m-%d %H:%M"),
        "timezone": timezone,
        "kind": kind,
        "recipient": recipient,
        "key": key,
    }
