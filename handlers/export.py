"""The backlog as rows: every request and item with its triage, decision and reason."""

from __future__ import annotations

from typing import Any

from handlers.people import find_workspace
from storage.repositories import UnitOfWork


async def export_rows(
    uow: UnitOfWork, *, workspace: str | None, platform: str | None = None
) -> list[dict[str, Any]]:
    names = {ws.id: f"{ws.platform}/{ws.external_id}" for ws in await uow.workspaces.all()}
    workspace_id = None
    if workspace is not None:
        workspace_id = (await find_workspace(uow, workspace, platform)).id
    rows = []
    for item in await uow.backlog.all_with_requests(workspace_id=workspace_id):
        request = item.request
        decision = await uow.decisions.latest(item_id=item.id)
        rows.append(
            {
                "item_id": item.id,
                "workspace": names.get(item.workspace_id, ""),
                "title": item.title,
                "type": item.type,
                "urgent": item.urgent,
                "status": item.status,
                "rank": item.rank,
                "stakeholder": request.stakeholder.name,
                "source": request.source,
                "forwarded_by": request.forwarded_by.name if request.forwarded_by else None,
                "received_at": request.received_at.isoformat(),
                "duplicate_of": item.duplicate_of_id,
                "deferred_until": item.deferred_until.isoformat() if item.deferred_until else None,
                "decision": decision.action if decision else None,
                "decided_by": decision.actor.name if decision else None,
                "decided_at": decision.decided_at.isoformat() if decision else None,
                "reason": decision.reason if decision else None,
                "text": request.text
                + (f"\n\n{request.clarification}" if request.clarification else ""),
            }
        )
    return rows
