"""How many SQL statements a handled event costs, in batches as the workers handle them.

    python bench/statements_per_event.py [--events 80] [--batch 8] [--database URL]

Builds the real runtime (the shipped model) on SQLite in a temporary file, or on a throw-away
database made on the PostgreSQL server named (any database's URL there) and dropped after.
A first batch takes in the demo workspace's people; then it stores N direct messages from 50
stakeholders and counts every statement sent to the database while one worker handles them,
B to a transaction. A count,
not a timing: it does not depend on how busy the machine is. Run it on two versions to see
what a change saved.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlalchemy import event as sa_event  # noqa: E402

from bench.databases import create_database, drop_database  # noqa: E402
from bench.handling_rate import event  # noqa: E402
from bot.kernel.settings import load_settings  # noqa: E402
from bot.runtime.app import build_runtime, prepare  # noqa: E402
from bot.runtime.workers import Workers  # noqa: E402


async def count(url: str, events: int, batch: int) -> tuple[int, int]:
    os.environ.setdefault("HEATSHIELD_PLAYGROUND", "true")
    runtime = build_runtime(load_settings(database_url=url, handling_batch=batch))
    await prepare(runtime, warm=True)
    try:
        for n in range(batch):  # the people and the duplicate index exist from here on
            await runtime.pipeline.accept(event("warm", n))
        await runtime.workers.drain()
        for n in range(batch, batch + events):
            await runtime.pipeline.accept(event("counted", n))
        statements = 0

        def counted(*_: Any) -> None:
            nonlocal statements
            statements += 1

        sa_event.listen(runtime.engine.sync_engine, "before_cursor_execute", counted)
        handled = await Workers(runtime.pipeline, count=1, batch=batch).drain()
        return statements, handled
    finally:
        await runtime.engine.dispose()
        await runtime.store_engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=80)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument(
        "--database", help="a PostgreSQL server's URL (a throw-away database is made there)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.database:
            name = f"heatshield_bench_statements_{uuid.uuid4().hex[:6]}"
            url = await create_database(args.database, name)
        else:
            url = f"sqlite+aiosqlite:///{folder}/statements.db"
        try:
            statements, handled = await count(url, args.events, args.batch)
        finally:
            if args.database:
                await drop_database(args.database, name)
    print(f"{url.split(':')[0]}, batches of {args.batch}: {statements} statements for "
          f"{handled} events, {statements / max(1, handled):.1f} an event")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
