"""How long one scheduler tick takes as workspaces, contracts and open requests grow.

    python bench/scheduler_tick.py [--workspaces N] [--items M] [--database URL]

Builds N workspaces, each with a PO, a coach, a contract of six fortnightly sessions and M open
requests, then times a tick that finds nothing due (the common case: once a minute) and a tick
that sends a day's reminders. Prints the milliseconds per tick and per workspace.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.app import build_runtime, prepare  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from handlers.coaching.contract import ContractSpec, set_contract  # noqa: E402
from handlers.rhythm import tick  # noqa: E402
from handlers.team import TeamSpec, set_team  # noqa: E402
from storage.models import BacklogItem, ItemStatus, Request  # noqa: E402

START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


async def populate(runtime: object, workspaces: int, items: int) -> None:
    services = runtime.services  # type: ignore[attr-defined]
    now = services.clock.now()
    for n in range(workspaces):
        async with runtime.db.transaction() as uow:  # type: ignore[attr-defined]
            spec = TeamSpec(platform="bench", workspace=f"W{n}", po=f"po{n}", coach=f"coach{n}")
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


async def timed_tick(runtime: object) -> float:
    start = time.perf_counter()
    await tick(runtime.db, runtime.services)  # type: ignore[attr-defined]
    return (time.perf_counter() - start) * 1000


async def run(url: str, workspaces: int, items: int) -> None:
    clock = FakeClock(START)
    runtime = build_runtime(load_settings(database_url=url, demo_workspace=False), clock=clock)
    await prepare(runtime)
    await populate(runtime, workspaces, items)
    await timed_tick(runtime)  # the first tick settles what was due before
    idle = [await timed_tick(runtime) for _ in range(5)]
    clock.set(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))  # Monday: reminders and digests go out
    busy = await timed_tick(runtime)
    print(
        f"{runtime.engine.dialect.name:<10} workspaces={workspaces} open items={items} each: "
        f"idle tick {min(idle):.0f} ms ({min(idle) / workspaces:.1f} ms per workspace), "
        f"tick sending a morning's messages {busy:.0f} ms"
    )
    await runtime.engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=50)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--database", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    if args.database:
        await run(args.database, args.workspaces, args.items)
        return
    with tempfile.TemporaryDirectory() as folder:
        await run(f"sqlite+aiosqlite:///{folder}/bench.db", args.workspaces, args.items)


if __name__ == "__main__":
    asyncio.run(main())
