"""The duplicate index: per workspace, the items a new request may repeat, as one matrix in
memory, kept in step with the database.

A lookup then costs one matrix product, whatever the backlog's size, instead of reading and
decoding every open item. The first request of a workspace in a process loads its items once.
After that, this process's own changes arrive as they commit (storage.item_changes), and what
other replicas changed is read at most once every SYNC_SECONDS: the ids and ``changed_at`` of
items changed since the last look (indexed), with an overlap that covers clocks a little apart
and transactions that committed late, and whole rows only for versions the index lacks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from handlers.triage.embedding import Matrix, from_bytes
from handlers.triage.types import CandidatePool
from storage import item_changes
from storage.models import CANDIDATE_STATUSES
from storage.repositories import UnitOfWork

log = logging.getLogger(__name__)
# Changes are read again this far back: a replica's clock a little behind, a transaction that
# committed a moment after it took its time.
OVERLAP = timedelta(seconds=30)
# How often other replicas' changes are read (this process's own arrive at once).
SYNC_SECONDS = 1.0
STATUSES = frozenset(str(status) for status in CANDIDATE_STATUSES)


@dataclass
class WorkspaceIndex:
    """One workspace's candidates; rows are appended, and freed rows reused."""

    model: str | None = None
    matrix: Matrix = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    ids: list[int] = field(default_factory=list)
    words: list[int] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    urgent: list[bool] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    rows: dict[int, int] = field(default_factory=dict)  # item id -> row
    free: list[int] = field(default_factory=list)  # rows of items that left
    versions: dict[int, datetime] = field(default_factory=dict)  # item id -> changed_at
    synced: datetime | None = None  # the database's time of the last look
    looked: float | None = None  # this process's monotonic time of the last look

    def apply(self, row: Any) -> None:
        """Take in an item as it now stands (an older version than the one held is ignored)."""
        held = self.versions.get(row.id)
        if held is not None and row.changed_at < held:
            return
        self.versions[row.id] = row.changed_at
        vector = from_bytes(row.embedding)
        keep = row.status in STATUSES and vector is not None and row.embedding_model
        index = self.rows.get(row.id)
        if not keep:
            if index is not None:
                self._free(index)
            return
        assert vector is not None
        if index is None:
            index = self._new_row(len(vector))
            self.rows[row.id] = index
        if self.matrix.shape[1] != len(vector):
            self._widen(len(vector))
        self.matrix[index] = vector
        self.ids[index] = row.id
        self.words[index] = row.words
        self.types[index] = row.type
        self.urgent[index] = row.urgent
        self.titles[index] = row.title
        self.models[index] = row.embedding_model

    def pool(self, model: str) -> CandidatePool:
        """The candidates embedded by ``model``, as the triage compares them."""
        chosen = [i for i in self.rows.values() if self.models[i] == model]
        chosen.sort(key=lambda i: self.ids[i])
        width = self.matrix.shape[1] if chosen else 0
        return CandidatePool(
            ids=[str(self.ids[i]) for i in chosen],
            matrix=self.matrix[chosen] if chosen else np.zeros((0, width), np.float32),
            words=np.asarray([self.words[i] for i in chosen], dtype=np.int32),
            types=[self.types[i] for i in chosen],
            urgent=[self.urgent[i] for i in chosen],
            titles=[self.titles[i] for i in chosen],
            model=model,
        )

    def __len__(self) -> int:
        return len(self.rows)

    def _new_row(self, width: int) -> int:
        if self.free:
            return self.free.pop()
        index = len(self.ids)
        if index >= self.matrix.shape[0]:
            grown = np.zeros((max(64, 2 * self.matrix.shape[0]), width), np.float32)
            grown[: self.matrix.shape[0], : self.matrix.shape[1]] = self.matrix
            self.matrix = grown
        self.ids.append(0)
        self.words.append(0)
        self.types.append("")
        self.urgent.append(False)
        self.titles.append("")
        self.models.append("")
        return index

    def _widen(self, width: int) -> None:
        """Vectors of another size (a new embedder): rows of the old one stay, zero-padded."""
        wider = np.zeros((self.matrix.shape[0], max(width, self.matrix.shape[1])), np.float32)
        wider[:, : self.matrix.shape[1]] = self.matrix
        self.matrix = wider

    def _free(self, index: int) -> None:
        del self.rows[self.ids[index]]
        self.models[index] = ""
        self.free.append(index)


class CandidateIndex:
    """The duplicate index of every workspace this process has triaged for."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._workspaces: dict[int, WorkspaceIndex] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._monotonic = monotonic
        item_changes.subscribe(self.committed)

    def committed(self, rows: Sequence[item_changes.ItemRow]) -> None:
        """This process's own changes, as they commit: in the index before the next lookup."""
        for row in rows:
            index = self._workspaces.get(row.workspace_id)
            if index is not None:
                index.apply(row)

    async def pool(self, uow: UnitOfWork, *, workspace_id: int, model: str) -> CandidatePool:
        """The workspace's candidates embedded by ``model``, brought up to date first. Times
        here are the database layer's own (``changed_at``), not the handlers' clock."""
        lock = self._locks.setdefault(workspace_id, asyncio.Lock())
        async with lock:
            index = self._workspaces.get(workspace_id)
            if index is None:
                index = self._workspaces[workspace_id] = WorkspaceIndex()
                await self._load(uow, workspace_id, index)
            elif self._monotonic() - (index.looked or 0.0) >= SYNC_SECONDS:
                await self._sync(uow, workspace_id, index)
            return index.pool(model)

    def forget(self, workspace_id: int) -> None:
        self._workspaces.pop(workspace_id, None)

    async def _load(self, uow: UnitOfWork, workspace_id: int, index: WorkspaceIndex) -> None:
        started = _wall_clock()
        rows = await uow.backlog.candidate_rows(workspace_id=workspace_id)
        for row in rows:
            index.apply(row)
        index.synced, index.looked = started, self._monotonic()
        log.info("Loaded %s candidates of workspace %s", len(index), workspace_id)

    async def _sync(self, uow: UnitOfWork, workspace_id: int, index: WorkspaceIndex) -> None:
        started = _wall_clock()
        since = (index.synced or started) - OVERLAP
        versions = await uow.backlog.candidate_versions(
            workspace_id=workspace_id, changed_since=since
        )
        stale = [v.id for v in versions if index.versions.get(v.id) != v.changed_at]
        for start in range(0, len(stale), 500):  # within every database's parameter limit
            chunk = stale[start : start + 500]
            for row in await uow.backlog.candidate_rows(workspace_id=workspace_id, ids=chunk):
                index.apply(row)
        index.synced, index.looked = started, self._monotonic()


def _wall_clock() -> datetime:
    return datetime.now(UTC)
