"""The duplicate index: per workspace, the items a new request may repeat, as one matrix in
memory per embedding model, kept in step with the database.

A lookup then costs one matrix product, whatever the backlog's size, instead of reading and
decoding every open item, and the pool it compares with is views of the index's arrays, not a
copy. Each workspace's items are loaded once per process: warmed in reads of their own, a page
at a time, before the handling transaction needs them (at start for every workspace with open
items, and before an event of a workspace not loaded yet is handled). After that, this
process's own changes arrive as they commit (storage.item_changes), and what other replicas
changed is read at most once every SYNC_SECONDS: the ids and ``changed_at`` of items changed
since the last look (indexed), with an overlap that covers clocks a little apart and
transactions that committed late, and whole rows only for versions the index lacks.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from handlers.triage.embedding import Matrix, from_bytes
from handlers.triage.types import CandidatePool
from storage import item_changes
from storage.models import CANDIDATE_STATUSES
from storage.repositories import Database, UnitOfWork

log = logging.getLogger(__name__)
# Changes are read again this far back: a replica's clock a little behind, a transaction that
# committed a moment after it took its time.
OVERLAP = timedelta(seconds=30)
# How often other replicas' changes are read (this process's own arrive at once).
SYNC_SECONDS = 1.0
# Items read at a time when an index is warmed (the event loop is free between pages).
LOAD_PAGE = 2_000
STATUSES = frozenset(str(status) for status in CANDIDATE_STATUSES)
MIN_CAPACITY = 64  # rows a section starts with; it doubles when full
LOAD_CHUNK = 4096  # rows decoded at once on the first load (bounds the bytes joined)


class _Section:
    """The candidates of one embedding model, as dense arrays of one width: rows ``[0, n)`` are
    live, in no particular order. A pool hands out views of them, never a copy; rows are added
    at ``n`` (beyond any view handed out), an item that leaves is replaced by the last row, and
    a live row is only changed in place once no pool handed out is still alive (a triage reads
    it in a thread after the index's lock is released): otherwise the arrays are copied first."""

    def __init__(self, width: int, capacity: int = MIN_CAPACITY) -> None:
        self.width = width
        self.n = 0
        self.matrix: Matrix = np.zeros((capacity, width), np.float32)
        self.words: NDArray[np.int32] = np.zeros(capacity, np.int32)
        self.ids: NDArray[np.object_] = np.empty(capacity, object)  # str(item id)
        self.types: NDArray[np.object_] = np.empty(capacity, object)
        self.urgent: NDArray[np.object_] = np.empty(capacity, object)
        self.titles: NDArray[np.object_] = np.empty(capacity, object)
        self.items: list[int] = []  # row -> item id
        self._handed: list[weakref.ref[CandidatePool]] = []

    def pool(self, model: str) -> CandidatePool:
        n = self.n
        pool = CandidatePool(
            ids=cast(Sequence[str], self.ids[:n]),
            matrix=self.matrix[:n],
            words=self.words[:n],
            types=cast(Sequence[str], self.types[:n]),
            urgent=cast(Sequence[bool], self.urgent[:n]),
            titles=cast(Sequence[str], self.titles[:n]),
            model=model,
        )
        if n:
            self._handed = [ref for ref in self._handed if ref() is not None]
            self._handed.append(weakref.ref(pool))
        return pool

    def append(self, row: Any, vector: Matrix) -> int:
        self._reserve(1)
        index = self.n
        self.items.append(row.id)
        self.n += 1
        self._write(index, row, vector)
        return index

    def extend(self, rows: Sequence[Any]) -> None:
        """Rows whose embeddings are all of this width, added in bulk: their vectors decoded
        a chunk at a time, not one by one."""
        self._reserve(len(rows))
        for start in range(0, len(rows), LOAD_CHUNK):
            chunk = rows[start : start + LOAD_CHUNK]
            first, end = self.n, self.n + len(chunk)
            blob = b"".join(row.embedding for row in chunk)
            self.matrix[first:end] = np.frombuffer(blob, "<f4").reshape(len(chunk), self.width)
            self.words[first:end] = [row.words for row in chunk]
            self.ids[first:end] = [str(row.id) for row in chunk]
            self.types[first:end] = [row.type for row in chunk]
            self.urgent[first:end] = [row.urgent for row in chunk]
            self.titles[first:end] = [row.title for row in chunk]
            self.items.extend(row.id for row in chunk)
            self.n = end

    def update(self, index: int, row: Any, vector: Matrix) -> bool:
        """The row as the item now stands; False, and nothing written, if nothing the index
        keeps changed (a status that stays a candidate's, say)."""
        if (
            int(self.words[index]) == row.words
            and self.types[index] == row.type
            and self.urgent[index] == row.urgent
            and self.titles[index] == row.title
            and np.array_equal(self.matrix[index], vector)
        ):
            return False
        self._unshare()
        self._write(index, row, vector)
        return True

    def remove(self, index: int) -> int | None:
        """Drop the row: the last one moves into its place. Returns the moved item's id."""
        self._unshare()
        last = self.n - 1
        moved = None
        if index != last:
            for array in self._arrays():
                array[index] = array[last]
            moved = self.items[index] = self.items[last]
        self.items.pop()
        for array in (self.ids, self.types, self.urgent, self.titles):
            array[last] = None
        self.n = last
        return moved

    def _write(self, index: int, row: Any, vector: Matrix) -> None:
        self.matrix[index] = vector
        self.words[index] = row.words
        self.ids[index] = str(row.id)
        self.types[index] = row.type
        self.urgent[index] = row.urgent
        self.titles[index] = row.title

    def _arrays(self) -> tuple[NDArray[Any], ...]:
        return (self.matrix, self.words, self.ids, self.types, self.urgent, self.titles)

    def _reserve(self, more: int) -> None:
        capacity = len(self.words)
        if self.n + more <= capacity:
            return
        while capacity < self.n + more:
            capacity = max(MIN_CAPACITY, 2 * capacity)
        self._reallocate(capacity)

    def _unshare(self) -> None:
        """Before a live row changes: arrays of their own if a pool handed out is alive."""
        if any(ref() is not None for ref in self._handed):
            self._reallocate(len(self.words))

    def _reallocate(self, capacity: int) -> None:
        """New arrays of this capacity, the live rows copied; pools handed out keep the old."""
        n = self.n
        self.matrix = _resized(self.matrix, capacity, n)
        self.words = _resized(self.words, capacity, n)
        self.ids = _resized(self.ids, capacity, n)
        self.types = _resized(self.types, capacity, n)
        self.urgent = _resized(self.urgent, capacity, n)
        self.titles = _resized(self.titles, capacity, n)
        self._handed = []


def _resized(array: NDArray[Any], capacity: int, n: int) -> NDArray[Any]:
    shape = (capacity, *array.shape[1:])
    grown = np.empty(shape, object) if array.dtype == object else np.zeros(shape, array.dtype)
    grown[:n] = array[:n]
    return grown


@dataclass
class WorkspaceIndex:
    """One workspace's candidates: a dense section per embedding model."""

    sections: dict[str, _Section] = field(default_factory=dict)
    rows: dict[int, tuple[str, int]] = field(default_factory=dict)  # item id -> (model, row)
    versions: dict[int, datetime] = field(default_factory=dict)  # item id -> changed_at
    synced: datetime | None = None  # the database's time of the last look
    looked: float | None = None  # this process's monotonic time of the last look

    def apply(self, row: Any) -> None:
        """Take in an item as it now stands (an older version than the one held is ignored)."""
        held = self.versions.get(row.id)
        if held is not None and row.changed_at < held:
            return
        self.versions[row.id] = row.changed_at
        model: str = row.embedding_model or ""
        vector = from_bytes(row.embedding) if model and row.status in STATUSES else None
        section = None if vector is None else self._section(model, len(vector))
        where = self.rows.get(row.id)
        if where is not None:
            if section is not None and where[0] == model:
                assert vector is not None
                section.update(where[1], row, vector)  # nothing written if nothing kept changed
                return
            self._remove(row.id)  # it left, or moved to another model
        if section is not None:
            assert vector is not None
            self.rows[row.id] = (model, section.append(row, vector))

    def load(self, rows: Sequence[Any]) -> None:
        """The first read of the workspace's candidates, each model's taken in at once."""
        fresh: dict[str, list[Any]] = {}
        for row in rows:
            if row.id in self.versions:  # heard of as it committed, while this was read
                self.apply(row)
                continue
            self.versions[row.id] = row.changed_at
            if row.status in STATUSES and row.embedding and row.embedding_model:
                fresh.setdefault(row.embedding_model, []).append(row)
        for model, chosen in fresh.items():
            held = self.sections.get(model)
            width = held.width if held and held.n else len(chosen[0].embedding) // 4
            section = self._section(model, width)
            assert section is not None
            fitting = [row for row in chosen if len(row.embedding) == 4 * width]
            if len(fitting) < len(chosen):
                log.warning(
                    "Skipped %s candidates of model %s: not %s float32 each",
                    len(chosen) - len(fitting),
                    model,
                    width,
                )
            first = section.n
            section.extend(fitting)
            self.rows.update((row.id, (model, first + n)) for n, row in enumerate(fitting))

    def pool(self, model: str) -> CandidatePool:
        """The candidates embedded by ``model``, as the triage compares them: views of the
        index's arrays, in no particular order, that later changes leave as they are."""
        section = self.sections.get(model)
        if section is None:
            return CandidatePool(
                ids=[],
                matrix=np.zeros((0, 0), np.float32),
                words=np.zeros(0, np.int32),
                types=[],
                urgent=[],
                titles=[],
                model=model,
            )
        return section.pool(model)

    def __len__(self) -> int:
        return len(self.rows)

    def _section(self, model: str, width: int) -> _Section | None:
        """The model's section for vectors of this width (None, with a warning, when the
        model's vectors held are of another width)."""
        section = self.sections.get(model)
        if section is None or (section.n == 0 and section.width != width):
            section = self.sections[model] = _Section(width)
        if section.width != width:
            log.warning(
                "Skipped a vector of %s floats from model %s, whose vectors have %s",
                width,
                model,
                section.width,
            )
            return None
        return section

    def _remove(self, item_id: int) -> None:
        model, index = self.rows.pop(item_id)
        moved = self.sections[model].remove(index)
        if moved is not None:
            self.rows[moved] = (model, index)


class CandidateIndex:
    """The duplicate index of every workspace this process has triaged for."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._workspaces: dict[int, WorkspaceIndex] = {}
        # Every index held, those being loaded too (ready ones are in _workspaces as well).
        self._known: dict[int, WorkspaceIndex] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._monotonic = monotonic
        item_changes.subscribe(self.committed)

    def committed(self, rows: Sequence[item_changes.ItemRow]) -> None:
        """This process's own changes, as they commit: in the index before the next lookup
        (also in one still being loaded)."""
        for row in rows:
            index = self._known.get(row.workspace_id)
            if index is not None:
                index.apply(row)

    async def pool(self, uow: UnitOfWork, *, workspace_id: int, model: str) -> CandidatePool:
        """The workspace's candidates embedded by ``model``, brought up to date first. Times
        here are the database layer's own (``changed_at``), not the handlers' clock."""
        lock = self._locks.setdefault(workspace_id, asyncio.Lock())
        async with lock:
            index = self._workspaces.get(workspace_id)
            if index is None:  # not warmed: read here, in the transaction
                index = self._workspaces[workspace_id] = WorkspaceIndex()
                self._known[workspace_id] = index
                await self._load(uow, workspace_id, index)
            elif self._monotonic() - (index.looked or 0.0) >= SYNC_SECONDS:
                await self._sync(uow, workspace_id, index)
            return index.pool(model)

    def recent(self, uow: UnitOfWork, *, workspace_id: int, model: str) -> CandidatePool | None:
        """The workspace's candidates written in this transaction, which the index hears of
        only once it commits: a batch's second request can repeat its first. None if none."""
        latest = {
            row.id: row for row in uow.uncommitted_items() if row.workspace_id == workspace_id
        }
        rows = [
            row
            for row in latest.values()
            if row.status in STATUSES and row.embedding and row.embedding_model == model
        ]
        if not rows:
            return None
        width = len(rows[0].embedding or b"") // 4
        rows = [row for row in rows if len(row.embedding or b"") == 4 * width]
        return CandidatePool(
            ids=[str(row.id) for row in rows],
            matrix=np.frombuffer(b"".join(row.embedding or b"" for row in rows), "<f4").reshape(
                len(rows), width
            ),
            words=np.asarray([row.words for row in rows], np.int32),
            types=[row.type for row in rows],
            urgent=[row.urgent for row in rows],
            titles=[row.title for row in rows],
            model=model,
        )

    def forget(self, workspace_id: int) -> None:
        self._workspaces.pop(workspace_id, None)
        self._known.pop(workspace_id, None)

    def loaded(self, workspace_id: int) -> bool:
        return workspace_id in self._workspaces

    async def warm(self, db: Database, *, workspace_id: int) -> None:
        """Load the workspace's index before it is needed, in reads of its own and a page at
        a time: outside any handling transaction (on SQLite one holds the writer's lock the
        acks need), and with the event loop free between pages (100,000 items take seconds;
        the acks must not wait for them)."""
        lock = self._locks.setdefault(workspace_id, asyncio.Lock())
        async with lock:
            if workspace_id in self._workspaces:
                return
            index = WorkspaceIndex()
            self._known[workspace_id] = index  # hears of this process's commits meanwhile
            started, after = _wall_clock(), 0
            while True:
                async with db.read() as uow:
                    rows = await uow.backlog.candidate_rows(
                        workspace_id=workspace_id, after_id=after, limit=LOAD_PAGE
                    )
                index.load(rows)
                if len(rows) < LOAD_PAGE:
                    break
                after = rows[-1].id
                await asyncio.sleep(0)  # the acks' turn
            index.synced, index.looked = started, self._monotonic()
            self._workspaces[workspace_id] = index
            log.info("Loaded %s candidates of workspace %s", len(index), workspace_id)

    async def _load(self, uow: UnitOfWork, workspace_id: int, index: WorkspaceIndex) -> None:
        started = _wall_clock()
        rows = await uow.backlog.candidate_rows(workspace_id=workspace_id)
        index.load(rows)
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
