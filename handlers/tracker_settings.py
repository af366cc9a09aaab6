"""A workspace's tracker setting: stored once its connection was checked, shown without its
secret; setting it again retries the requests the tracker refused before."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime

from bot.kernel.trackers import TrackerSettings
from storage.models import Workspace, WorkspaceTracker
from storage.repositories import UnitOfWork


async def put_tracker(
    uow: UnitOfWork, workspace: Workspace, settings: TrackerSettings, checked: str, now: datetime
) -> int:
    """Store the setting; returns how many refused requests go back to be created. A setting
    given without a webhook secret keeps the secret the workspace had."""
    earlier = await uow.trackers.of_workspace(workspace_id=workspace.id)
    if settings.webhook_secret is None and earlier is not None:
        settings = replace(settings, webhook_secret=earlier.webhook_secret)
    await uow.trackers.put(
        WorkspaceTracker(workspace_id=workspace.id, checked=checked, set_at=now, **asdict(settings))
    )
    return await uow.trackers.refused_again(workspace_id=workspace.id, now=now)


async def shown_tracker(uow: UnitOfWork, workspace: Workspace) -> str:
    row = await uow.trackers.of_workspace(workspace_id=workspace.id)
    if row is None:
        return f"Workspace {workspace.external_id} has no tracker; set one with 'tracker set'."
    place = row.project or row.repo or row.team or "—"
    lines = [
        f"kind: {row.kind}",
        f"url: {row.url}",
        f"where: {place}",
        f"issue type: {row.issue_type or '—'}",
        f"position field: {row.position_field or '—'}",
        f"webhook secret: {'set' if row.webhook_secret else 'not set'}",
        f"checked: {row.checked} ({row.set_at.isoformat()})",
    ]
    return "\n".join(lines)
