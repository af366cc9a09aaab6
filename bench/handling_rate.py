"""How many stored events a replica's workers handle a second, against the triage alone.

    python bench/handling_rate.py [--events N] [--rounds R] [--database URL] [--processes P]
                                  [--batches 1,8] [--profile FILE]

Builds the real runtime (the shipped model, 4 workers) on SQLite in a temporary file or on a
throw-away PostgreSQL database, stores N direct messages from 50 stakeholders of the demo
workspace, then lets the workers handle them all (triage, request, item, acknowledgement in the
outbox). In the same round, the baseline: the triage alone over the same texts, with the same
duplicate pool, no database. Prints events a second for both, min / median / max over rounds,
and what handling adds per event on top of the triage. Delivery is not part of it (the outbox
rows are written, not sent); bench/intake_load.py measures the whole way from Slack and back.
With ``--processes P`` (PostgreSQL only), P working processes share the stored events, as
replicas with HEATSHIELD_ROLE=work would: each loads everything first, then all start at once.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.databases import create_database, drop_database  # noqa: E402
from bot.kernel.events import ConversationRef, MessageEvent, PersonInfo  # noqa: E402
from bot.kernel.settings import load_settings  # noqa: E402
from bot.runtime.app import Runtime, build_runtime, prepare  # noqa: E402
from storage.models import InboundStatus  # noqa: E402

SUBJECTS = (
    "the invoice overview",
    "the customer portal",
    "the expense report",
    "the order history",
    "the product catalogue",
    "the support inbox",
    "the shipping labels",
    "the onboarding checklist",
)
STAKEHOLDERS = 50


def request_text(n: int) -> str:
    subject = SUBJECTS[n % len(SUBJECTS)]
    return (
        f"Could {subject} get a filter for region {n}? Finance retypes the numbers every "
        f"month and loses about {n % 7 + 2} hours on it."
    )


def event(run: str, n: int) -> MessageEvent:
    user = f"person-{n % STAKEHOLDERS}"
    return MessageEvent(
        conversation=ConversationRef(
            platform="playground", workspace="demo", channel=f"@{user}", user=user
        ),
        sender=PersonInfo(user_id=user, name=f"Person {n % STAKEHOLDERS}"),
        text=request_text(n),
        idempotency_key=f"{run}-{n}",
    )


async def runtime_on(url: str) -> Runtime:
    os.environ["HEATSHIELD_DATABASE_URL"] = url
    os.environ.setdefault("HEATSHIELD_PLAYGROUND", "true")
    runtime = build_runtime(load_settings())
    await prepare(runtime, warm=True)
    return runtime


async def store(runtime: Runtime, run: str, count: int) -> None:
    for n in range(count):
        await runtime.pipeline.accept(event(run, n))


async def pending(runtime: Runtime) -> int:
    async with runtime.db.read() as uow:
        counts = await uow.inbound.counts()
    return counts.get(InboundStatus.PENDING, 0) + counts.get(InboundStatus.WORKING, 0)


async def handle_all(runtime: Runtime, count: int) -> float:
    """Seconds from starting the workers until nothing is pending."""
    started = time.perf_counter()
    runtime.workers.start()
    try:
        while runtime.workers.handled < count:
            await asyncio.sleep(0.005)
    finally:
        await runtime.workers.stop()
    seconds = time.perf_counter() - started
    left = await pending(runtime)
    if left:
        raise SystemExit(f"{left} events still pending after the workers stopped")
    return seconds


async def triage_alone(runtime: Runtime, count: int) -> float:
    """Seconds for the triage of the same texts against the workspace's duplicate pool."""
    triage = runtime.services.triage
    async with runtime.db.read() as uow:
        workspace = await uow.workspaces.get(platform="playground", external_id="demo")
        assert workspace is not None
        pool = await runtime.services.candidates.pool(
            uow, workspace_id=workspace.id, model=triage.similarity_model
        )
    texts = [request_text(n) for n in range(count)]
    started = time.perf_counter()
    for start in range(0, count, 4):
        batch = texts[start : start + 4]
        await triage.prefetch(batch)
        for text in batch:
            await triage.triage(text, pool, labels=[], room=0)
    return time.perf_counter() - started


async def work_until_done(runtime: Runtime) -> None:
    runtime.workers.start()
    try:
        while await pending(runtime):
            await asyncio.sleep(0.02)
    finally:
        await runtime.workers.stop()


def replica(url: str, ready: Any, start: Any) -> None:
    """One working process: ready once loaded, handles from ``start`` until nothing is left."""

    async def run() -> None:
        runtime = await runtime_on(url)
        ready.release()
        await asyncio.to_thread(start.wait)
        try:
            await work_until_done(runtime)
        finally:
            await runtime.services.triage.close()
            await runtime.engine.dispose()
            await runtime.store_engine.dispose()

    asyncio.run(run())


def handle_in_processes(url: str, processes: int) -> float:
    """Seconds from the start signal until the last of the working processes is done."""
    context = multiprocessing.get_context("spawn")
    ready, start = context.Semaphore(0), context.Event()
    children = [context.Process(target=replica, args=(url, ready, start)) for _ in range(processes)]
    for child in children:
        child.start()
    for _ in children:
        ready.acquire()
    started = time.perf_counter()
    start.set()
    for child in children:
        child.join()
        if child.exitcode:
            raise SystemExit(f"a working process failed ({child.exitcode})")
    return time.perf_counter() - started


async def one_round(
    url: str, count: int, processes: int, profile: cProfile.Profile | None
) -> tuple[float, float]:
    runtime = await runtime_on(url)
    try:
        run = uuid.uuid4().hex[:8]
        await store(runtime, f"warm-{run}", 20)
        await handle_all(runtime, 20)
        runtime.workers.handled = 0
        await store(runtime, run, count)
        if processes > 1:
            handling = await asyncio.to_thread(handle_in_processes, url, processes)
            if left := await pending(runtime):
                raise SystemExit(f"{left} events still pending after the processes ended")
        else:
            if profile:
                profile.enable()
            handling = await handle_all(runtime, count)
            if profile:
                profile.disable()
        alone = await triage_alone(runtime, count)
    finally:
        await runtime.services.triage.close()
        await runtime.engine.dispose()
        await runtime.store_engine.dispose()
    return count / handling, count / alone


def spread(values: list[float]) -> str:
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", help="a PostgreSQL URL; default SQLite in a temp file")
    parser.add_argument("--processes", type=int, default=1, help="working processes (PostgreSQL)")
    parser.add_argument(
        "--batches",
        default="8",
        help="events a worker handles in one transaction, comma-separated: each in every "
        "round, interleaved (1 is one transaction per event)",
    )
    parser.add_argument("--profile", help="write a cProfile of the handling to this file")
    args = parser.parse_args()
    if args.processes > 1 and not args.database:
        parser.error("--processes needs --database: SQLite has one writer for all processes")
    batches = [int(b) for b in args.batches.split(",")]
    profile = cProfile.Profile() if args.profile else None
    handled: dict[int, list[float]] = {b: [] for b in batches}
    alone: dict[int, list[float]] = {b: [] for b in batches}
    with tempfile.TemporaryDirectory() as folder:
        for n in range(args.rounds):
            for batch in batches:
                os.environ["HEATSHIELD_HANDLING_BATCH"] = str(batch)
                name = f"heatshield_bench_handling_{n}_{batch}"
                if args.database:
                    url = await create_database(args.database, name)
                else:
                    url = f"sqlite+aiosqlite:///{folder}/round-{n}-{batch}.db"
                try:
                    rate, baseline = await one_round(url, args.events, args.processes, profile)
                finally:
                    if args.database:
                        await drop_database(args.database, name)
                handled[batch].append(rate)
                alone[batch].append(baseline)
                print(
                    f"round {n + 1}, batch {batch}: handled {rate:.1f}/s, "
                    f"triage alone {baseline:.1f}/s",
                    flush=True,
                )
    if profile:
        profile.dump_stats(args.profile)
    database = "PostgreSQL" if args.database else "SQLite (temporary file)"
    print(
        f"\n{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{database}, {args.events} events from {STAKEHOLDERS} stakeholders, "
        f"{args.processes} process(es) of 4 workers"
    )
    for batch in batches:
        print(
            f"batch {batch}: events handled a second (min / median / max): {spread(handled[batch])}"
        )
        print(f"batch {batch}: triage alone, same texts, a second:          {spread(alone[batch])}")
        extra = [1000 / h - 1000 / a for h, a in zip(handled[batch], alone[batch], strict=True)]
        print(f"batch {batch}: handling adds per event (ms):                 {spread(extra)}")


if __name__ == "__main__":
    asyncio.run(main())
