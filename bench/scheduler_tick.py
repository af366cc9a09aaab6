"""How long the scheduler's tick takes as workspaces grow: idle, and on a morning that sends.

    python bench/scheduler_tick.py [--workspaces 10000] [--busy 50] [--rounds 5]
                                   [--database URL]

Idle: N workspaces (inserted in bulk), each with a PO, a coach and a contract of six
fortnightly sessions; one tick plans them all once, then ticks a minute apart find nothing due
(the common case: once a minute). Busy: B workspaces set up through the handlers, each with
five open requests, then the tick on a Monday morning that sends reminders, nudges, review
batches and the coach's digest. Prints milliseconds (min / median / max over the rounds), the
machine and the database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from bench.databases import create_database, drop_database  # noqa: E402
from bot.kernel.clock import FakeClock  # noqa: E402
from bot.kernel.settings import load_settings  # noqa: E402
from bot.runtime.app import build_runtime, prepare  # noqa: E402
from handlers.coaching.contract import ContractSpec, set_contract  # noqa: E402
from handlers.rhythm import tick  # noqa: E402
from handlers.team import TeamSpec, set_team  # noqa: E402
from storage.coaching_models import CoachingContract, CoachingSession  # noqa: E402
from storage.models import BacklogItem, ItemStatus, Person, Request, Workspace  # noqa: E402

START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
MONDAY_MORNING = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
CHUNK = 1000


def spread(values: list[float]) -> str:
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


async def bulk(runtime: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    async with runtime.db.transaction() as uow:
        for start in range(0, len(rows), CHUNK):
            await uow.session.execute(insert(table), rows[start : start + CHUNK])


async def populate_in_bulk(runtime: Any, workspaces: int) -> None:
    """N workspaces with a PO, a coach and a contract of six sessions a fortnight apart."""
    now = runtime.services.clock.now()
    await bulk(runtime, Workspace, [
        {"id": n + 1, "platform": "bench", "external_id": f"W{n}", "timezone": "Europe/Amsterdam",
         "language": "en", "review_times": "tue,thu 09:00", "created_at": now}
        for n in range(workspaces)
    ])  # fmt: skip
    await bulk(runtime, Person, [
        {"id": 2 * n + 1 + k, "workspace_id": n + 1, "platform_user_id": f"{role}{n}",
         "role": role, "created_at": now}
        for n in range(workspaces) for k, role in enumerate(("po", "coach"))
    ])  # fmt: skip
    await bulk(runtime, CoachingContract, [
        {"id": n + 1, "workspace_id": n + 1, "po_id": 2 * n + 1, "coach_id": 2 * n + 2,
         "start_date": date(2026, 11, 24), "cadence_days": 14, "planned_sessions": 6,
         "themes": [], "confidentiality": "aggregate", "created_at": now}
        for n in range(workspaces)
    ])  # fmt: skip
    first = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    await bulk(runtime, CoachingSession, [
        {"contract_id": n + 1, "starts_at": first + timedelta(days=14 * k),
         "duration_minutes": 60, "created_at": now}
        for n in range(workspaces) for k in range(6)
    ])  # fmt: skip


async def populate_through_handlers(runtime: Any, workspaces: int, items: int) -> None:
    services = runtime.services
    now = services.clock.now()
    for n in range(workspaces):
        async with runtime.db.transaction() as uow:
            spec = TeamSpec(platform="bench", workspace=f"B{n}", po=f"po{n}", coach=f"coach{n}")
            workspace = await set_team(uow, spec, services.defaults, now)
            await set_contract(uow, services, workspace, ContractSpec(
                coach=f"coach{n}", start=date(2026, 11, 24), every_days=14, sessions=6,
            ))  # fmt: skip
            people = await uow.people.in_workspace(workspace_id=workspace.id)
            for i in range(items):
                request = Request(
                    workspace_id=workspace.id, stakeholder_id=people[0].id, text=f"Ask {i}",
                    source="direct", conversation={}, inbound_key=f"{n}-{i}", received_at=now,
                )  # fmt: skip
                await uow.backlog.add(request, BacklogItem(
                    workspace_id=workspace.id, title=f"Ask {i}", type="feature", urgent=False,
                    needs_info=False, status=ItemStatus.QUEUED, reasons=[], created_at=now,
                ))  # fmt: skip


async def timed_tick(runtime: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    report = await tick(runtime.db, runtime.services)
    return (time.perf_counter() - started) * 1000, report


async def idle(url: str, workspaces: int, rounds: int) -> None:
    clock = FakeClock(START)
    runtime = build_runtime(load_settings(database_url=url, demo_workspace=False), clock=clock)
    await prepare(runtime)
    await populate_in_bulk(runtime, workspaces)
    planning, report = await timed_tick(runtime)
    each = planning / workspaces
    print(f"  {workspaces} workspaces: the first tick plans every one: {planning:.0f} ms "
          f"({each:.2f} ms per workspace; {report.workspaces} looked at)")  # fmt: skip
    times, looked = [], []
    for _ in range(rounds):
        clock.advance(timedelta(minutes=1))
        elapsed, report = await timed_tick(runtime)
        times.append(elapsed)
        looked.append(report.workspaces)
    print(f"  then a tick a minute with nothing due: {spread(times)} ms "
          f"(workspaces looked at: {max(looked)}); target <= 100 ms")  # fmt: skip
    await runtime.engine.dispose()
    await runtime.store_engine.dispose()


async def busy(url: str, workspaces: int, items: int) -> None:
    clock = FakeClock(START)
    runtime = build_runtime(load_settings(database_url=url, demo_workspace=False), clock=clock)
    await prepare(runtime)
    await populate_through_handlers(runtime, workspaces, items)
    await timed_tick(runtime)  # the first tick settles what was due before
    clock.set(MONDAY_MORNING)
    elapsed, report = await timed_tick(runtime)
    sends = report.coaching_sent + report.coaching_skipped + report.batches
    print(f"  {workspaces} workspaces, {items} open requests each, Monday 09:00: {elapsed:.0f} ms "
          f"({elapsed / workspaces:.0f} ms per workspace; {report.coaching_sent} coaching sent, "
          f"{report.coaching_skipped} lapsed, {report.batches} review batches, "
          f"{elapsed / max(1, sends):.1f} ms per send)")  # fmt: skip
    await runtime.engine.dispose()
    await runtime.store_engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=10_000)
    parser.add_argument("--busy", type=int, default=50)
    parser.add_argument("--items", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database", default=None, help="PostgreSQL URL; default: SQLite")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}; "
          f"database: {'postgresql' if args.database else 'sqlite (temporary file)'}")  # fmt: skip
    for scenario in ("idle", "busy"):
        if args.database:
            name = f"heatshield_bench_tick_{uuid.uuid4().hex[:6]}"
            url = await create_database(args.database, name)
        else:
            folder = tempfile.mkdtemp()
            url, name = f"sqlite+aiosqlite:///{folder}/bench.db", ""
        try:
            if scenario == "idle":
                await idle(url, args.workspaces, args.rounds)
            else:
                await busy(url, args.busy, args.items)
        finally:
            if args.database:
                await drop_database(args.database, name)


if __name__ == "__main__":
    asyncio.run(main())
