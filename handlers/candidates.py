"""The duplicate index: per workspace, the items a new request may repeat, as one matrix in
memory, kept in step with the database.

A lookup then costs one matrix product, whatever the backlog's size, instead of reading and
decoding every open item. The first request of a workspace in a process loads its items once;
after that, each request reads only the items changed since the last look (``changed_at``,
indexed), with an overlap that covers clocks a little apart and transactions that committed
late, so changes made by other replicas arrive too.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from handlers.triage.embedding import Matrix, from_bytes
from handlers.triage.types import CandidatePool
from storage.models import CANDIDATE_STATUSES
from storage.repositories import UnitOfWork

log = logging.getLogger(__name__)
# Changes are read again this far back: a replica's clock a little behind, a transaction that
# committed a moment after it took its time.
OVERLAP = timedelta(seconds=30)
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
    synced: datetime | None = None

    def apply(self, row: Any) -> None:
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

    def __init__(self) -> None:
        self._workspaces: dict[int, WorkspaceIndex] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def pool(self, uow: UnitOfWork, *, workspace_id: int, model: str) -> CandidatePool:
        """The workspace's candidates embedded by ``model``, brought up to date first. Times
        here are the database layer's own (``changed_at``), not the handlers' clock."""
        lock = self._locks.setdefault(workspace_id, asyncio.Lock())
        async with lock:
            index = self._workspaces.get(workspace_id)
            since = None if index is None or index.synced is None else index.synced - OVERLAP
            if index is None:
                index = self._workspaces[workspace_id] = WorkspaceIndex()
            rows = await uow.backlog.candidate_rows(workspace_id=workspace_id, changed_since=since)
            for row in rows:
                index.apply(row)
            index.synced = max([_wall_clock(), *(row.changed_at for row in rows)])
            if since is None:
                log.info("Loaded %s candidates of workspace %s", len(index), workspace_id)
            return index.pool(model)

    def forget(self, workspace_id: int) -> None:
        self._workspaces.pop(workspace_id, None)


def _wall_clock() -> datetime:
    return datetime.now(UTC)
