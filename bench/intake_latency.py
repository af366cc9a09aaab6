"""Intake latency and throughput through the playground API, on SQLite and PostgreSQL.

    python bench/intake_latency.py [--requests N] [--postgres URL] [--json]

Starts the real app on a local port, posts N stakeholder requests one after another (each is
stored, triaged, answered through the outbox and delivered before the call returns), then the
PO's decision on each. Prints per-call latency (median, p95, max) and calls per second. The
PostgreSQL run uses a throw-away database and is skipped when the server is unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

from aiohttp import ClientSession, web  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.kernel.settings import load_settings  # noqa: E402
from bot.runtime.app import build_runtime, create_app, prepare  # noqa: E402
from storage.db import create_engine  # noqa: E402

SUBJECTS = (
    "the invoice overview",
    "the customer portal",
    "the expense report",
    "the order history",
    "the product catalogue",
    "the support inbox",
)


def request_text(n: int) -> str:
    subject = SUBJECTS[n % len(SUBJECTS)]
    return f"Could {subject} get a filter number {n}? Finance retypes the numbers every month."


async def timed(session: ClientSession, url: str, body: dict[str, Any]) -> float:
    start = time.perf_counter()
    async with session.post(url, json=body) as response:
        assert response.status == 200, await response.text()
        await response.read()
    return time.perf_counter() - start


def summary(label: str, seconds: list[float]) -> dict[str, Any]:
    ordered = sorted(seconds)
    return {
        "calls": label,
        "n": len(seconds),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "per_second": round(len(seconds) / sum(seconds), 1),
    }


async def run(database_url: str, requests: int) -> list[dict[str, Any]]:
    runtime = build_runtime(load_settings(database_url=database_url))
    await prepare(runtime)
    runner = web.AppRunner(create_app(runtime, background=False))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}/playground/api"
    try:
        async with ClientSession() as session:
            asks = [
                await timed(
                    session,
                    f"{base}/messages",
                    {"workspace": "demo", "user": f"user{n % 25}", "text": request_text(n)},
                )
                for n in range(requests)
            ]
            decisions = [
                await timed(
                    session,
                    f"{base}/actions",
                    {
                        "workspace": "demo",
                        "user": "po",
                        "action_id": "approve_bottom",
                        "value": str(item_id),
                    },
                )
                for item_id in range(1, requests + 1)
            ]
    finally:
        await runner.cleanup()
        await runtime.engine.dispose()
    return [summary("request", asks), summary("decision", decisions)]


async def postgres_database(url: str) -> str | None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"heatshield_bench_{uuid.uuid4().hex[:8]}"
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
        return None
    finally:
        await admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def drop_database(admin_url: str, url: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = make_url(url).database
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = await run(f"sqlite+aiosqlite:///{folder}/bench.db", args.requests)
    pg_url = await postgres_database(args.postgres)
    if pg_url is not None:
        try:
            results["postgresql"] = await run(pg_url, args.requests)
        finally:
            await drop_database(args.postgres, pg_url)
    if args.json:
        print(json.dumps(results))
        return
    for database, rows in results.items():
        for row in rows:
            print(
                f"{database:<10} {row['calls']:<9} n={row['n']:<4} median {row['median_ms']} ms"
                f"  p95 {row['p95_ms']} ms  max {row['max_ms']} ms  {row['per_second']}/s"
            )


if __name__ == "__main__":
    asyncio.run(main())
