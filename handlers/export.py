"""The backlog as rows: every request and item with its triage, decision and reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.people import find_workspace
from storage.repositories import UnitOfWork


def local(moment: datetime | None, timezone: str) -> str | None:
    """A moment in the workspace's time zone, ISO 8601 with its offset: read as local time,
    and still exact for a program."""
    return moment.astimezone(ZoneInfo(timezone)).isoformat() if moment else None


async def export_rows(
    uow: UnitOfWork, *, workspace: str | None, platform: str | None = None
) -> list[dict[str, Any]]:
    spaces = {ws.id: ws for ws in await uow.workspaces.all()}
    workspace_id = None
    if workspace is not None:
        workspace_id = (await find_workspace(uow, workspace, platform)).id
    rows = []
    for item in await uow.backlog.all_with_requests(workspace_id=workspace_id):
        request = item.request
        decision = await uow.decisions.latest(item_id=item.id)
        space = spaces[item.workspace_id]
        zone = space.timezone
        rows.append(
            {
                "item_id": item.id,
                "workspace": f"{space.platform}/{space.external_id}",
                "title": item.title,
                "type": item.type,
                "urgent": item.urgent,
                "status": item.status,
                "rank": item.rank,
                "stakeholder": request.stakeholder.name,
                "source": request.source,
                "forwarded_by": request.forwarded_by.name if request.forwarded_by else None,
                "received_at": local(request.received_at, zone),
                "duplicate_of": item.duplicate_of_id,
                "deferred_until": local(item.deferred_until, zone),
                "decision": decision.action if decision else None,
                "decided_by": decision.actor.name if decision else None,
                "decided_at": local(decision.decided_at, zone) if decision else None,
                "reason": decision.reason if decision else None,
                "timezone": zone,
                "tracker_key": item.tracker_key,
                "tracker_url": item.tracker_url,
                "text": request.text
                + (f"\n\n{request.clarification}" if request.clarification else ""),
            }
        )
    return rows
