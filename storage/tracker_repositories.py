"""A workspace's tracker setting, and the jobs that create approved requests there."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_name
from storage.memo import memo_of
from storage.models import BacklogItem, TrackerJob, WorkspaceTracker


class TrackerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def of_workspace(self, *, workspace_id: int) -> WorkspaceTracker | None:
        """The workspace's tracker setting; read once per transaction, also when there is
        none (every new request asks, and the session does not remember a miss)."""
        memo = memo_of(self._session)
        key = ("tracker", workspace_id)
        if key not in memo:
            memo[key] = await self._session.get(WorkspaceTracker, workspace_id)
        found: WorkspaceTracker | None = memo[key]
        return found

    async def with_place(self, *, kind: str, place: str) -> Sequence[WorkspaceTracker]:
        """The workspaces whose tracker is this project, repository or team."""
        column = {"github": WorkspaceTracker.repo, "linear": WorkspaceTracker.team}.get(
            kind, WorkspaceTracker.project
        )
        return (
            await self._session.scalars(
                select(WorkspaceTracker).where(WorkspaceTracker.kind == kind, column == place)
            )
        ).all()

    async def item_with_key(self, *, workspace_id: int, key: str) -> BacklogItem | None:
        """The item the tracker knows by this key, locked on PostgreSQL: a webhook and the
        reconcile moving it at once tell its stakeholders once, not twice."""
        query = select(BacklogItem).where(
            BacklogItem.workspace_id == workspace_id, BacklogItem.tracker_key == key
        )
        if dialect_name(self._session) == "postgresql":
            query = query.with_for_update(of=BacklogItem)
        return await self._session.scalar(query)

    async def every_setting(self) -> Sequence[WorkspaceTracker]:
        return (await self._session.scalars(select(WorkspaceTracker))).all()

    async def unfinished_keys(
        self, *, workspace_id: int, limit: int, after: int = 0
    ) -> Sequence[tuple[int, str, str | None]]:
        """The ids, keys and last known states of the workspace's items in its tracker that are
        neither done nor dropped there, from the item after ``after`` on: what a reconcile
        asks the tracker about, a batch at a time."""
        rows = await self._session.execute(
            select(BacklogItem.id, BacklogItem.tracker_key, BacklogItem.tracker_state)
            .where(
                BacklogItem.workspace_id == workspace_id,
                BacklogItem.id > after,
                BacklogItem.tracker_key.is_not(None),
                or_(
                    BacklogItem.tracker_state.is_(None),
                    BacklogItem.tracker_state.not_in(("done", "wont_do")),
                ),
            )
            .order_by(BacklogItem.id)
            .limit(limit)
        )
        return [(int(row[0]), str(row[1]), row[2]) for row in rows]

    async def put(self, tracker: WorkspaceTracker) -> WorkspaceTracker:
        """Set the workspace's tracker, in place of the one it had."""
        merged = await self._session.merge(tracker)
        memo_of(self._session)[("tracker", tracker.workspace_id)] = merged
        return merged

    async def add_job(self, job: TrackerJob) -> TrackerJob:
        self._session.add(job)
        await self._session.flush()
        return job

    async def job(self, *, job_id: int) -> TrackerJob | None:
        return await self._session.get(TrackerJob, job_id)

    async def claim_due(self, *, now: datetime, lease: timedelta, limit: int) -> Sequence[int]:
        """Take up to `limit` due jobs, oldest first; on PostgreSQL jobs another replica is
        claiming are skipped. A claim that ran out unfinished may have reached the tracker:
        the next holder looks for the item before creating it."""
        due = (
            select(TrackerJob.id)
            .where(
                TrackerJob.status == "pending",
                TrackerJob.next_attempt_at <= now,
                or_(TrackerJob.claimed_until.is_(None), TrackerJob.claimed_until < now),
            )
            .order_by(TrackerJob.id)
            .limit(limit)
        )
        if dialect_name(self._session) == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list((await self._session.scalars(due)).all())
        if ids:
            lost = or_(TrackerJob.maybe_sent, TrackerJob.claimed_until.is_not(None))
            await self._session.execute(
                update(TrackerJob)
                .where(TrackerJob.id.in_(ids))
                .values(claimed_until=now + lease, maybe_sent=lost)
                .execution_options(synchronize_session=False)
            )
        return ids

    async def refused_again(self, *, workspace_id: int, now: datetime) -> int:
        """The workspace's refused creations, pending again and counted from now (after its
        tracker was set anew); a refused link or answer was told and stays as it is."""
        result = await self._session.execute(
            update(TrackerJob)
            .where(
                TrackerJob.status == "failed",
                TrackerJob.action == "create",
                TrackerJob.item_id.in_(
                    select(BacklogItem.id).where(BacklogItem.workspace_id == workspace_id)
                ),
            )
            .values(
                status="pending",
                next_attempt_at=now,
                claimed_until=None,
                done_at=None,
                attempts=0,
                created_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
