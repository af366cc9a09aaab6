"""The tracker worker: creates approved requests in each workspace's tracker, from the jobs the
approvals wrote (the tracker's outbox).

A job is claimed in the database first, so replicas never work one twice. A failure that may
pass (an outage, a 429 with its Retry-After, a time-out) tries again later with backoff; a
time-out may have created the item unanswered, so the next try looks for it first. A refusal
(a required field, a missing permission, a missing token) is told to the PO in plain words,
and the request stays approved; setting the tracker again retries what was refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.kernel.errors import ConfigurationError, RetryLaterError
from bot.kernel.trackers import Tracker, TrackerRefusedError, TrackerSettings
from bot.runtime.delivery import backoff
from handlers import tracker_chat, trackers
from handlers.context import Services
from storage.models import (
    UNDECIDED_STATUSES,
    BacklogItem,
    TrackerJob,
    Workspace,
    WorkspaceTracker,
)
from storage.repositories import Database

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
GIVE_UP_AFTER = timedelta(hours=48)
# How often each tracker is asked about its unfinished items (webhooks missed while down).
RECONCILE_EVERY = timedelta(minutes=15)
RECONCILE_BATCH = 200
BATCH = 20

TrackerFactory = Callable[[TrackerSettings], Tracker]


class TrackerJobs:
    def __init__(
        self,
        db: Database,
        services: Services,
        factory: TrackerFactory,
        on_outbox: Callable[[], None] = lambda: None,
        *,
        allowed_hosts: Sequence[str] = (),
    ) -> None:
        self._db = db
        # Where a tracker set in chat may point (the environment's token is sent there).
        self._allowed_hosts = tuple(h.strip().lower() for h in allowed_hosts if h.strip())
        self._services = services
        self._factory = factory
        self._on_outbox = on_outbox
        self._wake = asyncio.Event()
        self._stopping = False
        self._next_reconcile = services.clock.now()
        # Per workspace, the last item a reconcile asked about (0: start from the first).
        self._reconciled_up_to: dict[int, int] = {}

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self, poll_seconds: float) -> None:
        """Work the jobs as they come; reconcile beside them, in a task of its own, so that
        asking slow trackers about many items never holds up a creation or a comment."""
        reconciling: asyncio.Task[int] | None = None
        try:
            while not self._stopping:
                try:
                    await self.work_due()
                except Exception:
                    log.exception("Tracker jobs: a pass failed; trying again at the next")
                due = self._services.clock.now() >= self._next_reconcile
                if due and (reconciling is None or reconciling.done()):
                    self._next_reconcile = self._services.clock.now() + RECONCILE_EVERY
                    reconciling = asyncio.create_task(self._reconcile_logged())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=poll_seconds)
                self._wake.clear()
        finally:
            if reconciling is not None and not reconciling.done():
                reconciling.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await reconciling

    async def _reconcile_logged(self) -> int:
        try:
            return await self.reconcile()
        except Exception:
            log.exception("Tracker jobs: a reconcile failed; trying again at the next")
            return 0

    async def work_due(self) -> int:
        """Work the due jobs (up to BATCH), each claimed just before it is worked: its lease
        (longer than a job's few calls can take) never runs out while it waits its turn, so no
        other replica takes it meanwhile. Returns how many were done."""
        done = 0
        for _ in range(BATCH):
            now = self._services.clock.now()
            async with self._db.transaction() as uow:
                ids = await uow.trackers.claim_due(now=now, lease=LEASE, limit=1)
            if not ids:
                break
            try:
                done += await self._work(ids[0], claim=now + LEASE)
            except Exception as exc:  # an answer of a shape nobody foresaw: try again later
                log.exception("Tracker job %s failed unexpectedly", ids[0])
                await self._later_by_id(ids[0], RetryLaterError(repr(exc), maybe_sent=True))
        if done:
            self._on_outbox()
        return done

    async def _later_by_id(self, job_id: int, exc: RetryLaterError) -> None:
        async with self._db.read() as uow:
            job = await uow.trackers.job(job_id=job_id)
        if job is not None:
            await self._later(job, exc)

    async def _work(self, job_id: int, *, claim: datetime) -> int:
        async with self._db.read() as uow:
            job = await uow.trackers.job(job_id=job_id)
        if job is not None and job.action == "check":
            return await self._check(job, claim=claim)
        async with self._db.read() as uow:
            item = await uow.backlog.by_id(item_id=job.item_id) if job and job.item_id else None
            row = await uow.trackers.of_workspace(workspace_id=item.workspace_id) if item else None
            workspace = await uow.workspaces.by_id(workspace_id=item.workspace_id) if item else None
        if job is None or item is None or workspace is None:
            return 0
        if row is None:
            await self._finish(job_id, "failed", "the workspace has no tracker any more")
            return 0
        try:
            tracker = self._factory(trackers.settings_of(row))
        except (TrackerRefusedError, ConfigurationError) as exc:
            await self._refuse(job_id, str(exc))
            return 0
        if job.action == "search":
            await self._search(job.id, item, row, workspace, tracker, claim=claim)
            return 0  # writes nothing to the tracker: not counted
        try:
            if job.action == "comment":
                key, body = job.target_key or "", job.body or ""
                # A time-out may have hidden that the comment was made: look before posting.
                if not (job.maybe_sent and await tracker.has_comment(key, body)):
                    await tracker.comment(key, body)
                await self._finish(job_id, "done", None)
                return 1
            if job.action == "link":
                ref = await tracker.link(job.target_key or "")
            else:
                new = trackers.new_tracker_item(workspace, item, top=job.top)
                # In its brackets: request #5's link is the start of request #50's.
                ref = await tracker.find(f"({new.link})") if job.maybe_sent else None
                ref = ref or await tracker.create(new)
        except RetryLaterError as exc:
            await self._later(job, exc)
            return 0
        except TrackerRefusedError as exc:
            await self._refuse(job_id, exc.problem)
            return 0
        finally:
            await tracker.close()
        async with self._db.transaction() as uow:
            held = await uow.trackers.job(job_id=job_id)
            fresh = await uow.backlog.by_id(item_id=item.id)
            if held is None or fresh is None or held.status != "pending":
                return 0
            if held.claimed_until != claim:  # the claim ran out: the job is another's now
                log.info("Lost the claim on tracker job %s", job_id)
                return 0
            self._close(held, "done", None)
            space = await uow.workspaces.by_id(workspace_id=fresh.workspace_id)
            assert space is not None
            if ref is None:
                await trackers.not_linked(uow, self._services, space, fresh, job.target_key or "")
                log.info("Request #%s: %s is not in the tracker", item.id, job.target_key)
                return 1
            if job.action == "link":
                await trackers.linked(uow, self._services, space, fresh, ref)
            else:
                await trackers.created(uow, self._services, space, fresh, ref)
        log.info("Request #%s is %s in the tracker", item.id, ref.key)
        return 1

    async def _search(
        self,
        job_id: int,
        item: BacklogItem,
        row: WorkspaceTracker,
        workspace: Workspace,
        tracker: Tracker,
        *,
        claim: datetime,
    ) -> None:
        """Is the new request in the tracker already? Its open items close enough to the
        request are kept with it, and its cards offer to merge into them. A search that fails
        for good is only logged: the request goes on without it."""
        try:
            found = await tracker.search(item.title)
        except RetryLaterError as exc:
            await self._later_by_id(job_id, exc)
            return
        except TrackerRefusedError as exc:
            log.info("Searching %s for request #%s: %s", row.kind, item.id, exc.problem)
            await self._finish(job_id, "failed", exc.problem)
            return
        finally:
            await tracker.close()
        matches = await trackers.close_matches(self._services, item.request.text, found)
        async with self._db.transaction() as uow:
            held = await uow.trackers.job(job_id=job_id)
            if held is None or held.status != "pending" or held.claimed_until != claim:
                return
            self._close(held, "done", None)
            fresh = await uow.backlog.by_id(item_id=item.id)
            if fresh is None or not matches or fresh.status not in UNDECIDED_STATUSES:
                return
            fresh.tracker_matches = matches
            await trackers.found_in_tracker(uow, self._services, workspace, fresh)
        self._on_outbox()

    async def _check(self, job: TrackerJob, *, claim: datetime) -> int:
        """A tracker set in chat: stored once it connects (the PO hears either way)."""
        settings = TrackerSettings(**json.loads(job.body or "{}"))
        host = urlsplit(settings.url).hostname or ""
        if not any(host == h or host.endswith(f".{h}") for h in self._allowed_hosts):
            async with self._db.transaction() as uow:
                held = await uow.trackers.job(job_id=job.id)
                space = await uow.workspaces.by_id(workspace_id=job.workspace_id or 0)
                if held is not None and space is not None:
                    self._close(held, "failed", f"{host}: not in HEATSHIELD_TRACKER_HOSTS")
                    await tracker_chat.host_refused(uow, self._services, space, host or "?")
            self._on_outbox()
            return 0
        try:
            tracker = self._factory(settings)
        except (TrackerRefusedError, ConfigurationError) as exc:
            await self._refuse(job.id, str(exc))
            return 0
        try:
            checked = await tracker.check()
        except RetryLaterError as exc:
            await self._later(job, exc)
            return 0
        except TrackerRefusedError as exc:
            await self._refuse(job.id, exc.problem)
            return 0
        finally:
            await tracker.close()
        async with self._db.transaction() as uow:
            held = await uow.trackers.job(job_id=job.id)
            if held is None or held.status != "pending" or held.claimed_until != claim:
                return 0
            self._close(held, "done", None)
            space = await uow.workspaces.by_id(workspace_id=held.workspace_id or 0)
            if space is not None:
                await tracker_chat.connected(uow, self._services, space, settings, checked)
        return 1

    async def reconcile(self) -> int:
        """Ask each tracker where its unfinished items stand, and tell what a missed webhook
        would have told (once: a move already told is not told again). Returns the moves."""
        async with self._db.read() as uow:
            settings = list(await uow.trackers.every_setting())
        moved = 0
        for row in settings:
            try:
                moved += await self._reconcile(row)
            except (RetryLaterError, TrackerRefusedError, ConfigurationError) as exc:
                log.info("Reconciling workspace %s's tracker: %s", row.workspace_id, exc)
            except Exception:  # one workspace's odd answer must not stop the others'
                log.exception("Reconciling workspace %s's tracker failed", row.workspace_id)
        if moved:
            self._on_outbox()
        return moved

    async def _reconcile(self, row: WorkspaceTracker) -> int:
        """One batch of the workspace's unfinished items, after the batch asked about last
        time (then round again from the first): every item is asked about in turn, however
        many there are."""
        after = self._reconciled_up_to.get(row.workspace_id, 0)
        async with self._db.read() as uow:
            keys = await uow.trackers.unfinished_keys(
                workspace_id=row.workspace_id, limit=RECONCILE_BATCH, after=after
            )
        full = len(keys) == RECONCILE_BATCH
        self._reconciled_up_to[row.workspace_id] = keys[-1][0] if full else 0
        if not keys:
            return 0
        tracker = self._factory(trackers.settings_of(row))
        moved = 0
        try:
            for _, key, known in keys:
                state = await tracker.state(key)
                if state is None or state == (known or "open"):
                    continue
                async with self._db.transaction() as uow:
                    workspace = await uow.workspaces.by_id(workspace_id=row.workspace_id)
                    if workspace is None:
                        return moved
                    outcome = await trackers.tracker_moved(
                        uow, self._services, workspace, key, state
                    )
                log.info("Reconciled: %s", outcome)
                moved += 1
        finally:
            await tracker.close()
        return moved

    async def _later(self, job: TrackerJob, exc: RetryLaterError) -> None:
        now = self._services.clock.now()
        if now - job.created_at > GIVE_UP_AFTER:
            await self._refuse(job.id, f"the tracker could not be reached for two days ({exc})")
            return
        delay = exc.retry_after if exc.retry_after is not None else backoff(job.attempts)
        log.warning("Tracker job %s: %s; trying again in %.0f s", job.id, exc, delay)
        async with self._db.transaction() as uow:
            held = await uow.trackers.job(job_id=job.id)
            if held is None or held.status != "pending":
                return
            held.attempts += 1
            held.next_attempt_at = now + timedelta(seconds=delay)
            held.claimed_until = None
            held.maybe_sent = held.maybe_sent or exc.maybe_sent
            held.last_error = str(exc)[:2000]

    async def _refuse(self, job_id: int, problem: str) -> None:
        log.warning("Tracker job %s refused: %s", job_id, problem)
        async with self._db.transaction() as uow:
            held = await uow.trackers.job(job_id=job_id)
            if held is None or held.status != "pending":
                return
            self._close(held, "failed", problem)
            if held.action == "search":  # the request goes on without it: nobody to tell
                return
            if held.action == "check":
                space = await uow.workspaces.by_id(workspace_id=held.workspace_id or 0)
                if space is not None:
                    await tracker_chat.not_connected(uow, self._services, space, problem)
                self._on_outbox()
                return
            item = await uow.backlog.by_id(item_id=held.item_id) if held.item_id else None
            space = await uow.workspaces.by_id(workspace_id=item.workspace_id) if item else None
            if item is not None and space is not None and held.action == "comment":
                await trackers.answer_refused(uow, self._services, space, item, problem)
            elif item is not None and space is not None and held.action == "link":
                key = held.target_key or ""
                await trackers.link_refused(uow, self._services, space, item, key, problem)
            elif item is not None and space is not None:
                await trackers.refused(uow, self._services, space, item, problem)
        self._on_outbox()

    async def _finish(self, job_id: int, status: str, problem: str | None) -> None:
        async with self._db.transaction() as uow:
            held = await uow.trackers.job(job_id=job_id)
            if held is not None:
                self._close(held, status, problem)

    def _close(self, job: TrackerJob, status: str, problem: str | None) -> None:
        job.status = status
        job.claimed_until = None
        job.last_error = problem[:2000] if problem else None
        job.done_at = self._services.clock.now()
