"""The duplicate index: kept in step with the database, across replicas, without rescanning."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from bot.kernel.clock import FakeClock
from bot.kernel.settings import load_settings
from bot.runtime.app import Runtime, build_runtime, prepare
from handlers.candidates import MIN_CAPACITY, SYNC_SECONDS, CandidateIndex, WorkspaceIndex
from handlers.triage import duplicates
from handlers.triage.types import TYPES, CandidatePool
from storage import item_changes
from tests import state
from tests.events import FEATURE, message
from tests.playground import Playground

SAME = FEATURE + " Also for credit notes."


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def other_replica(runtime: Runtime, clock: FakeClock) -> Runtime:
    url = runtime.engine.url.render_as_string(hide_password=False)
    return build_runtime(load_settings(database_url=url), clock=clock)


@contextmanager
def in_another_process() -> Iterator[None]:
    """The other replica's commits are not heard here, as from another process."""
    listeners = item_changes._listeners[:]
    item_changes._listeners.clear()
    try:
        yield
    finally:
        item_changes._listeners[:] = listeners


async def pool_ids(runtime: Runtime) -> list[int]:
    async with runtime.db.read() as uow:
        workspace = await uow.workspaces.get(platform="playground", external_id="demo")
        assert workspace is not None
        model = runtime.services.triage.similarity_model
        pool = await runtime.services.candidates.pool(uow, workspace_id=workspace.id, model=model)
    return sorted(int(i) for i in pool.ids)


async def test_another_replicas_request_is_found_as_the_original(
    runtime: Runtime, clock: FakeClock
) -> None:
    ticks = Ticks()
    runtime.services.candidates = CandidateIndex(monotonic=ticks)
    other = other_replica(runtime, clock)
    await prepare(runtime, upgrade=False)
    await runtime.pipeline.receive(message("m0", "carl", "Hoe vraag ik een parkeerplaats aan?"))

    with in_another_process():  # the first replica's index is already loaded
        await other.pipeline.receive(message("m1", "anna", FEATURE))
    ticks.now += SYNC_SECONDS  # it catches up at its next look
    await runtime.pipeline.receive(message("m2", "ben", SAME))

    first, second = (await state.items(runtime))[1:]
    assert second.duplicate_of_id == first.id, second.reasons
    await other.engine.dispose()
    await other.store_engine.dispose()


async def test_other_replicas_are_read_once_a_second_and_own_changes_at_once(
    runtime: Runtime, clock: FakeClock
) -> None:
    ticks = Ticks()
    runtime.services.candidates = CandidateIndex(monotonic=ticks)
    other = other_replica(runtime, clock)
    await prepare(runtime, upgrade=False)
    await runtime.pipeline.receive(message("m0", "carl", "Hoe vraag ik een parkeerplaats aan?"))
    [own] = await pool_ids(runtime)

    with in_another_process():
        await other.pipeline.receive(message("m1", "anna", FEATURE))
    ticks.now += SYNC_SECONDS / 2
    assert await pool_ids(runtime) == [own]  # not read yet: within the second

    await runtime.pipeline.receive(message("m2", "ben", "De pakbon toont de verkeerde datum."))
    ids = sorted(item.id for item in await state.items(runtime))
    assert await pool_ids(runtime) == [ids[0], ids[2]]  # its own new item, without a read

    ticks.now += SYNC_SECONDS
    assert await pool_ids(runtime) == ids
    await other.engine.dispose()
    await other.store_engine.dispose()


async def test_a_rolled_back_item_never_reaches_the_index(runtime: Runtime) -> None:
    await prepare(runtime, upgrade=False)
    await runtime.pipeline.receive(message("m0", "carl", "Hoe vraag ik een parkeerplaats aan?"))
    [kept] = await pool_ids(runtime)
    async with runtime.db.transaction() as uow:
        item = await uow.backlog.get(workspace_id=1, item_id=kept)
        assert item is not None
    try:
        async with runtime.db.transaction() as uow:
            item = await uow.backlog.get(workspace_id=1, item_id=kept)
            assert item is not None
            item.status = "declined"
            await uow.session.flush()
            raise RuntimeError("the handling failed after the flush")
    except RuntimeError:
        pass
    assert await pool_ids(runtime) == [kept]


async def test_a_declined_item_leaves_the_index(client: Playground, runtime: Runtime) -> None:
    await client.say("anna", FEATURE)
    [item] = await state.items(runtime)
    await client.click("po", "decline", str(item.id), input="Not this quarter.")

    await client.say("ben", SAME)

    second = (await state.items(runtime))[-1]
    assert second.duplicate_of_id is None and second.check_of_id is None
    async with runtime.db.transaction() as uow:
        pool = await runtime.services.candidates.pool(
            uow, workspace_id=item.workspace_id, model=second.embedding_model or ""
        )
    assert [int(i) for i in pool.ids] == [second.id]


async def test_a_pool_handed_out_is_not_changed_by_a_later_decision(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE)
    await client.say("carl", "Hoe vraag ik een parkeerplaats aan?")
    first, second = await state.items(runtime)
    model = first.embedding_model or ""
    async with runtime.db.read() as uow:
        held = await runtime.services.candidates.pool(
            uow, workspace_id=first.workspace_id, model=model
        )
    before = contents(held)
    assert sorted(before) == sorted([str(first.id), str(second.id)])

    await client.click("po", "decline", str(first.id), input="Not this quarter.")

    assert contents(held) == before
    async with runtime.db.read() as uow:
        pool = await runtime.services.candidates.pool(
            uow, workspace_id=first.workspace_id, model=model
        )
    assert [int(i) for i in pool.ids] == [second.id]
    assert list(pool.titles) == [second.title] and list(pool.types) == [second.type]
    assert np.array_equal(pool.matrix[0], np.frombuffer(second.embedding or b"", "<f4"))


# The index itself, on rows as the database or a commit hands them over.
MODEL = "model-a"
WIDTH = 8
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def vectors(count: int, seed: int = 0, width: int = WIDTH) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((count, width)).astype(np.float32)
    normed: np.ndarray = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return normed.astype(np.float32)


def item(
    item_id: int,
    vector: np.ndarray | None,
    *,
    status: str = "queued",
    model: str | None = MODEL,
    title: str | None = None,
    minutes: int = 0,
) -> item_changes.ItemRow:
    return item_changes.ItemRow(
        workspace_id=1,
        id=item_id,
        status=status,
        embedding=None if vector is None else vector.astype("<f4").tobytes(),
        embedding_model=model,
        type=TYPES[item_id % len(TYPES)],
        urgent=item_id % 3 == 0,
        words=item_id + 4,
        title=f"Item {item_id}" if title is None else title,
        changed_at=LONG_AGO + timedelta(minutes=minutes),
    )


def contents(pool: CandidatePool) -> dict[str, tuple[Any, ...]]:
    """Per item id, what the pool holds of it, whatever its row."""
    return {
        pool.ids[i]: (
            pool.titles[i],
            pool.types[i],
            pool.urgent[i],
            int(pool.words[i]),
            tuple(pool.matrix[i].tolist()),
        )
        for i in range(len(pool))
    }


def expected(row: item_changes.ItemRow) -> tuple[Any, ...]:
    vector = np.frombuffer(row.embedding or b"", "<f4")
    return (row.title, row.type, row.urgent, row.words, tuple(vector.tolist()))


def section_arrays(index: WorkspaceIndex) -> list[Any]:
    section = index.sections[MODEL]
    return [section.matrix, section.words, section.ids, section.types, section.urgent]


def test_a_pool_handed_out_keeps_its_rows_through_a_removal_and_an_overwrite() -> None:
    index = WorkspaceIndex()
    rows = [item(n, v) for n, v in enumerate(vectors(3), start=1)]
    index.load(rows)
    held = index.pool(MODEL)
    before = contents(held)
    order = list(held.ids)

    index.apply(item(1, None, status="declined", minutes=1))  # the last row moves into its slot
    changed = item(2, vectors(1, seed=9)[0], title="Renamed", minutes=1)
    index.apply(changed)

    assert list(held.ids) == order and contents(held) == before
    after = contents(index.pool(MODEL))
    assert after == {"2": expected(changed), "3": expected(rows[2])}


def test_without_a_pool_alive_a_removal_writes_in_place() -> None:
    index = WorkspaceIndex()
    index.load([item(n, v) for n, v in enumerate(vectors(3), start=1)])
    pool = index.pool(MODEL)
    del pool
    arrays = section_arrays(index)

    index.apply(item(1, None, status="declined", minutes=1))

    assert all(a is b for a, b in zip(section_arrays(index), arrays, strict=True))
    assert sorted(index.pool(MODEL).ids) == ["2", "3"]


def test_after_removals_every_remaining_item_is_found_with_its_own_row() -> None:
    index = WorkspaceIndex()
    rows = {n: item(n, v) for n, v in enumerate(vectors(40, seed=3), start=1)}
    index.load(list(rows.values()))
    for n, gone in enumerate((1, 40, 17, 2, 39, 20, 21, 5, 33)):
        index.apply(item(gone, None, status="done", minutes=n + 1))
        del rows[gone]
    # A change of model moves an item out of the section too; a new one comes in at the end.
    index.apply(item(7, vectors(1, seed=4)[0], model="model-b", minutes=20))
    del rows[7]
    rows[41] = item(41, vectors(1, seed=5)[0])
    index.apply(rows[41])

    pool = index.pool(MODEL)
    assert contents(pool) == {str(n): expected(row) for n, row in rows.items()}
    assert len(index) == len(rows) + 1 and index.pool("model-b").ids[0] == "7"
    for n, row in rows.items():
        model, at = index.rows[n]
        assert (model, pool.ids[at]) == (MODEL, str(n))
        vector = np.frombuffer(row.embedding or b"", "<f4")
        match = duplicates.best(vector, 20, pool.matrix, pool.words, lambda i: True)
        assert match is not None and pool.ids[match.index] == str(n)


def test_a_status_only_change_writes_nothing() -> None:
    index = WorkspaceIndex()
    [vector] = vectors(1)
    index.load([item(1, vector)])
    held = index.pool(MODEL)  # alive: a write would copy the arrays first
    arrays = section_arrays(index)

    index.apply(item(1, vector, status="approved", minutes=1))

    assert all(a is b for a, b in zip(section_arrays(index), arrays, strict=True))
    assert index.versions[1] == LONG_AGO + timedelta(minutes=1)
    index.apply(item(1, vector, status="approved", title="Renamed", minutes=2))
    assert section_arrays(index)[0] is not arrays[0]
    assert list(held.titles) == ["Item 1"] and list(index.pool(MODEL).titles) == ["Renamed"]


def test_growth_beyond_capacity_keeps_earlier_rows() -> None:
    index = WorkspaceIndex()
    rows = [item(n, v) for n, v in enumerate(vectors(3 * MIN_CAPACITY, seed=6), start=1)]
    for row in rows[:MIN_CAPACITY]:
        index.apply(row)
    held = index.pool(MODEL)
    before = contents(held)
    for row in rows[MIN_CAPACITY:]:
        index.apply(row)

    assert len(index.sections[MODEL].words) >= 3 * MIN_CAPACITY
    assert contents(index.pool(MODEL)) == {str(row.id): expected(row) for row in rows}
    assert contents(held) == before and len(held) == MIN_CAPACITY


def test_the_first_load_keeps_each_model_apart_and_skips_another_width() -> None:
    index = WorkspaceIndex()
    newer = item(2, vectors(1, seed=8)[0], title="Changed meanwhile", minutes=5)
    index.apply(newer)  # heard of as it committed, while the load was read
    loaded = [
        item(1, vectors(1, seed=1)[0]),
        item(2, vectors(1, seed=2)[0]),  # older than the one heard of
        item(3, vectors(1, seed=3, width=WIDTH + 1)[0]),  # another width: skipped
        item(4, vectors(1, seed=4)[0], model="model-b"),
        item(5, vectors(1, seed=5)[0], status="declined"),
        item(6, None),
    ]
    index.load(loaded)

    assert contents(index.pool(MODEL)) == {"1": expected(loaded[0]), "2": expected(newer)}
    assert contents(index.pool("model-b")) == {"4": expected(loaded[3])}
    assert len(index) == 3 and len(index.pool("model-c")) == 0


def test_the_shortlist_finds_the_best_match_however_few_candidates() -> None:
    rng = np.random.default_rng(11)
    for count, trial in itertools.product((1, 2, 4, 5, 6, 40), range(30)):
        others = vectors(count, seed=1000 * count + trial)
        words = rng.integers(1, 30, count)
        kinds = rng.integers(0, 2, count)
        query = vectors(1, seed=999_999 - trial)[0] if trial else others[-1]
        match = duplicates.best(query, 12, others, words, lambda i, kinds=kinds: bool(kinds[i]))
        scores = duplicates.similarities(query, 12, others, words)
        penalised = scores - np.where(kinds == 1, 0.0, duplicates.OTHER_TYPE_PENALTY)
        closest = np.argsort(-scores)[:5]  # the shortlist, as a full sort gives it
        assert match is not None
        assert match.index == int(closest[np.argmax(penalised[closest])]), (count, trial)
        assert match.score == pytest.approx(float(penalised[match.index]))


def test_the_fifth_closest_of_the_type_beats_four_closer_of_another() -> None:
    cosines = [0.95, 0.94, 0.93, 0.92, 0.90, 0.89] + [0.5] * 10
    others = np.zeros((len(cosines), len(cosines) + 1), np.float32)
    for n, cosine in enumerate(cosines):
        others[n, 0], others[n, n + 1] = cosine, np.sqrt(1 - cosine**2)
    query = np.eye(1, len(cosines) + 1, dtype=np.float32)[0]
    order = np.random.default_rng(2).permutation(len(cosines))  # rows in no particular order
    same = {int(np.flatnonzero(order == 4)[0]), int(np.flatnonzero(order == 5)[0])}

    match = duplicates.best(query, 20, others[order], [20] * len(cosines), lambda i: i in same)

    assert match is not None and order[match.index] == 4
    assert match.score == pytest.approx(0.90)


async def test_an_index_is_warmed_a_page_at_a_time_outside_the_handling_transaction(
    client: Playground, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Warming reads in pages of its own (never in a write transaction, which on SQLite would
    hold the writer the acks need), with the event loop free between pages; a commit heard
    while it loads is in the index once it is ready."""
    from handlers import candidates as candidates_module

    for n in range(5):
        await client.say(f"person{n}", f"Request number {n}: {FEATURE}")
    fresh = CandidateIndex()
    monkeypatch.setattr(candidates_module, "LOAD_PAGE", 2)
    async with runtime.db.read() as uow:
        workspace = await uow.workspaces.get(platform="playground", external_id="demo")
        assert workspace is not None
    transactions = 0
    real_transaction = runtime.db.transaction

    def counted() -> Any:
        nonlocal transactions
        transactions += 1
        return real_transaction()

    monkeypatch.setattr(runtime.db, "transaction", counted)
    await fresh.warm(runtime.db, workspace_id=workspace.id)

    assert transactions == 0, "read in reads of its own"
    assert fresh.loaded(workspace.id)
    model = runtime.services.triage.similarity_model
    async with runtime.db.read() as uow:
        pool = await fresh.pool(uow, workspace_id=workspace.id, model=model)
    expected = [item.id for item in await state.items(runtime)]
    assert sorted(int(i) for i in pool.ids) == sorted(expected), "every page taken in"


async def test_a_request_is_triaged_against_a_warmed_index_of_its_workspace(
    client: Playground, runtime: Runtime
) -> None:
    """The pipeline warms the workspace's index before the transaction: the second report of
    a request finds the first."""
    await client.say("anna", FEATURE)
    runtime.services.candidates.forget((await state.items(runtime))[0].workspace_id)

    await client.say("ben", SAME)

    first, second = await state.items(runtime)
    assert second.duplicate_of_id == first.id
