"""How the duplicate lookup's cost grows with a workspace's open backlog, on SQLite and PostgreSQL.

    python bench/duplicate_lookup.py [--sizes 100,1000,10000,100000] [--rounds 3]
                                     [--lookups 300] [--database URL]

For each size N, one workspace gets N open requests, inserted in bulk and last changed a day or
more ago, each with a stored embedding of the model the triage compares requests with (random
unit vectors of its dimension; one in ten is a near duplicate of an earlier request). Then,
each round, a fresh duplicate index (handlers/candidates.py) is timed on that workspace:

- load: the workspace's first request in the process, which reads all its candidates from the
  database into the index;
- lookup: what every later request costs, inside the request's transaction: bringing the
  index up to date with the database (here nothing changed since the last look, the steady
  state between two events) and the nearest-neighbour search (handlers/triage/duplicates.py,
  as the triage calls it), for L new requests of which half repeat an open one; p50, p95 and
  max, and the p95 of the two parts (sync, search);
- rss: how much the process's resident memory (VmRSS) grew for the loaded index, and at most
  (peak) during the lookups.

Prints the machine, the database, then per size the seconds the bulk insert took, the
min/median/max over the rounds of each measure, and how many of the repeating requests found
the item they repeat or another near duplicate of it (a check that the lookup works; the type
penalty may prefer a near duplicate of another type); last, how the median p95 lookup at 100,000
open items compares with the target, 10 ms.
The database is a temporary SQLite file unless --database names a PostgreSQL one, for example
postgresql+asyncpg://postgres@127.0.0.1:5432/heatshield_bench: that database must not exist
yet; it is created (through the server's "postgres" database) and dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.backlog_seed import insert_open_items, unit  # noqa: E402
from bench.databases import create_database, drop_database  # noqa: E402
from bot.kernel.settings import load_settings  # noqa: E402
from bot.runtime.app import Runtime, build_runtime, prepare  # noqa: E402
from handlers.candidates import CandidateIndex  # noqa: E402
from handlers.team import TeamSpec, set_team  # noqa: E402
from handlers.triage import default_triager, duplicates  # noqa: E402
from handlers.triage.embedding import BUILTIN_DIMENSIONS, BUILTIN_MODEL, Matrix  # noqa: E402
from handlers.triage.types import TYPES, CandidatePool  # noqa: E402
from storage.db import is_sqlite  # noqa: E402
from storage.models import Workspace  # noqa: E402

SIZES = (100, 1_000, 10_000, 100_000)
TARGET_MS = 10.0
TARGET_SIZE = 100_000
NEAR_SHARE = 0.1
NOISE = 0.25  # a near duplicate's own part: cosine about 0.97 with its original


@dataclass(frozen=True)
class Query:
    vector: Matrix
    words: int
    type: str
    repeats: int | None  # the first item of the family it is a near duplicate of


@dataclass(frozen=True)
class Backlog:
    workspace_id: int
    queries: list[Query]
    families: dict[int, int]  # a near duplicate's item id -> the first of its family

    def family(self, item_id: int) -> int:
        return self.families.get(item_id, item_id)


@dataclass(frozen=True)
class Round:
    load_ms: float
    lookups_ms: list[float]
    sync_ms: list[float]
    search_ms: list[float]
    rss_mb: float
    peak_mb: float | None
    found: int
    repeats: int


async def populate(
    runtime: Runtime, size: int, lookups: int, model: str, rng: np.random.Generator
) -> Backlog:
    """A workspace with ``size`` open requests; the new requests to look up, half of them
    near duplicates of those."""
    services = runtime.services
    now = services.clock.now()
    async with runtime.db.transaction() as uow:
        spec = TeamSpec(platform="bench", workspace=f"open-{size}", po=f"po-{size}")
        workspace = await set_team(uow, spec, services.defaults, now)
        [person] = await uow.people.in_workspace(workspace_id=workspace.id)
        workspace_id, person_id = workspace.id, person.id
    vectors = unit(rng.standard_normal((size, BUILTIN_DIMENSIONS), dtype=np.float32))
    # A family: an item and its near duplicates, each made from an earlier member.
    family = np.arange(size)
    noise = unit(rng.standard_normal((size, BUILTIN_DIMENSIONS), dtype=np.float32))
    for member in np.flatnonzero(rng.random(size) < NEAR_SHARE):
        if member > 0:
            first = int(rng.integers(0, member))
            vectors[member] = unit(vectors[first][None, :] + NOISE * noise[member][None, :])[0]
            family[member] = family[first]
    del noise
    item_ids = await insert_open_items(
        runtime.engine, workspace_id=workspace_id, stakeholder_id=person_id, vectors=vectors,
        model=model, now=now, rng=rng, tag=f"workspace {size}",
    )  # fmt: skip
    queries = []
    for n in range(lookups):
        kind = TYPES[int(rng.integers(0, len(TYPES)))]
        fresh = rng.standard_normal((1, BUILTIN_DIMENSIONS), dtype=np.float32)
        if n % 2:
            queries.append(Query(unit(fresh)[0], int(rng.integers(4, 80)), kind, None))
            continue
        original = int(rng.integers(0, size))
        vector = unit(vectors[original][None, :] + NOISE * unit(fresh))[0]
        repeats = item_ids[family[original]]
        queries.append(Query(vector, int(rng.integers(4, 80)), kind, repeats))
    members = np.flatnonzero(family != np.arange(size))
    families = {item_ids[n]: item_ids[family[n]] for n in members}
    return Backlog(workspace_id, queries, families)


try:
    LIBC: Any = ctypes.CDLL("libc.so.6")
except OSError:  # not glibc: freed memory stays with the process, RSS reads a little high
    LIBC = None


def trim() -> None:
    if LIBC is not None:
        LIBC.malloc_trim(0)


def status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return math.nan


def settled_rss_mb() -> float:
    """VmRSS once freed memory went back to the system as far as it can."""
    gc.collect()
    trim()
    return status_mb("VmRSS")


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def one_round(runtime: Runtime, backlog: Backlog, model: str) -> Round:
    workspace_id, queries = backlog.workspace_id, backlog.queries
    index = CandidateIndex()
    before = settled_rss_mb()
    async with runtime.db.transaction() as uow:
        await uow.session.execute(select(Workspace.id).where(Workspace.id == workspace_id))
        start = time.perf_counter()
        pool = await index.pool(uow, workspace_id=workspace_id, model=model)
        load_ms = (time.perf_counter() - start) * 1000
    del pool
    loaded = settled_rss_mb()
    peak = loaded if reset_peak() else None
    lookups, syncs, searches, found = [], [], [], 0
    for query in queries:
        async with runtime.db.transaction() as uow:
            # The request's transaction has read its workspace and sender before the triage.
            await uow.session.execute(select(Workspace.id).where(Workspace.id == workspace_id))
            start = time.perf_counter()
            pool = await index.pool(uow, workspace_id=workspace_id, model=model)
            synced = time.perf_counter()
            match = duplicates.best(
                query.vector, query.words, pool.matrix, pool.words, same_type(pool, query.type)
            )
            done = time.perf_counter()
        lookups.append((done - start) * 1000)
        syncs.append((synced - start) * 1000)
        searches.append((done - synced) * 1000)
        if query.repeats is not None and match is not None:
            found += backlog.family(int(pool.ids[match.index])) == query.repeats
        del pool
    if peak is not None:
        peak = status_mb("VmHWM")
    del index
    return Round(
        load_ms=load_ms,
        lookups_ms=lookups,
        sync_ms=syncs,
        search_ms=searches,
        rss_mb=loaded - before,
        peak_mb=None if peak is None else peak - before,
        found=found,
        repeats=sum(q.repeats is not None for q in queries),
    )


def same_type(pool: CandidatePool, kind: str) -> Callable[[int], bool]:
    """As the triage reads a candidate's type: unknown or the request's own."""
    return lambda i: pool.types[i] in (None, kind)


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def spread(values: Sequence[float]) -> str:
    """min/median/max, with as many decimals as the numbers need."""
    low, mid, high = min(values), statistics.median(values), max(values)
    digits = 0 if high >= 100 else 1 if high >= 10 else 2
    return "/".join(f"{v:.{digits}f}" for v in (low, mid, high))


COLUMNS = (
    ("open items", 10),
    ("insert s", 8),
    ("load ms", 17),
    ("lookup p50 ms", 17),
    ("lookup p95 ms", 17),
    ("lookup max ms", 17),
    ("sync p95 ms", 17),
    ("search p95 ms", 17),
    ("rss MB", 14),
    ("peak MB", 14),
    ("repeats found", 13),
)


def row(cells: Sequence[str]) -> str:
    return "  ".join(f"{cell:>{width}}" for cell, (_, width) in zip(cells, COLUMNS, strict=True))


async def run(url: str, sizes: Sequence[int], rounds: int, lookups: int) -> None:
    runtime = build_runtime(
        load_settings(database_url=url, demo_workspace=False), triager=default_triager()
    )
    await prepare(runtime)
    model = runtime.services.triage.similarity_model
    assert model == BUILTIN_MODEL, model
    async with runtime.engine.connect() as connection:
        version = await connection.scalar(
            text("SELECT sqlite_version()" if is_sqlite(url) else "SHOW server_version")
        )
    where = "temporary file" if is_sqlite(url) else f"database {make_url(url).database}"
    print(f"database: {runtime.engine.dialect.name} {version} ({where})")
    print(
        f"embeddings: {model}, {BUILTIN_DIMENSIONS} float32; {lookups} lookups a round, "
        f"half of them repeating an open item; min/median/max over {rounds} rounds"
    )
    print(row([name for name, _ in COLUMNS]))
    rng = np.random.default_rng(7)
    p95_at_target = None
    try:
        for size in sizes:
            started = time.perf_counter()
            backlog = await populate(runtime, size, lookups, model, rng)
            inserted = time.perf_counter() - started
            results = [await one_round(runtime, backlog, model) for _ in range(rounds)]
            p95s = [percentile(r.lookups_ms, 0.95) for r in results]
            peaks = [r.peak_mb for r in results if r.peak_mb is not None]
            print(row([
                f"{size:,}", f"{inserted:.1f}", spread([r.load_ms for r in results]),
                spread([percentile(r.lookups_ms, 0.5) for r in results]), spread(p95s),
                spread([max(r.lookups_ms) for r in results]),
                spread([percentile(r.sync_ms, 0.95) for r in results]),
                spread([percentile(r.search_ms, 0.95) for r in results]),
                spread([r.rss_mb for r in results]), spread(peaks) if peaks else "-",
                f"{min(r.found for r in results)}/{results[0].repeats}",
            ]), flush=True)  # fmt: skip
            if size == TARGET_SIZE:
                p95_at_target = statistics.median(p95s)
    finally:
        await runtime.engine.dispose()
        await runtime.store_engine.dispose()
    if p95_at_target is not None:
        verdict = "met" if p95_at_target <= TARGET_MS else "missed"
        print(
            f"target: lookup p95 <= {TARGET_MS:.0f} ms at {TARGET_SIZE:,} open items: "
            f"{p95_at_target:.1f} ms (median of the rounds), {verdict}"
        )


def sizes(value: str) -> list[int]:
    return [int(part) for part in value.split(",")]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=sizes,
        default=list(SIZES),
        help="open requests per workspace, comma-separated (default: 100,1000,10000,100000)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lookups", type=int, default=300, help="new requests a round")
    parser.add_argument("--database", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        f", numpy {np.__version__}; load average {load} at the start"
    )
    if args.database and not is_sqlite(args.database):
        name = make_url(args.database).database
        if not name or name == "postgres":
            raise SystemExit("--database must name a database that does not exist yet")
        server = make_url(args.database).set(database="postgres").render_as_string(False)
        await create_database(server, name, replace=False)
        try:
            await run(args.database, args.sizes, args.rounds, args.lookups)
        finally:
            await drop_database(server, name)
        return
    if args.database:
        await run(args.database, args.sizes, args.rounds, args.lookups)
        return
    with tempfile.TemporaryDirectory() as folder:
        await run(f"sqlite+aiosqlite:///{folder}/bench.db", args.sizes, args.rounds, args.lookups)


if __name__ == "__main__":
    asyncio.run(main())
