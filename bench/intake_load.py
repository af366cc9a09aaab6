"""Intake under load: signed Slack events (and Teams activities) at `heatshield serve` (SQLite and
PostgreSQL) and, in the same run, at a bare slack-bolt app with a no-op listener (a bare
botbuilder CloudAdapter for Teams), rounds interleaved.

    python bench/intake_load.py [--rounds 3] [--closed-seconds 10] [--rate 100]
                                [--open-seconds 60] [--workers N] [--replicas N]
                                [--split] [--skip-postgres] [--open-items N]
                                [--platforms slack,teams] [--json]

Every server runs in a process of its own, the load generator in another, and a fake Slack Web
API in a third, which records when each answer reached a stakeholder's DM. Per target and
round, two fresh servers on fresh databases:

- closed loop: 20 connections, each sending the next event as soon as the last was acked, for
  --closed-seconds: acks per second and the ack latency (p50, p99); then, for Heatshield, how
  fast the stored events were handled (answers posted per second, until the last one);
- open loop: --rate events a second for --open-seconds: p99 ack, answers other than 200,
  stakeholders answered within 60 s, and p99 from an event to its answer.

With --open-items N, the workspace holds N open requests before the load starts (the issue's
100,000-open scenario: --open-items 100000 --rate 10 --modes open).

With --split, each replica is two processes (HEATSHIELD_ROLE=receive and work): the load goes
to the receiving one. Also per Heatshield target: the time from starting `serve` to ready (the
encoder loaded) and the resident memory of the first process when idle. Prints min / median /
max over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
import numpy as np  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.backlog_seed import insert_open_items, random_vectors, workspace_and_person  # noqa: E402
from bench.databases import create_database, drop_database  # noqa: E402
from handlers.triage.embedding import BUILTIN_DIMENSIONS, BUILTIN_MODEL  # noqa: E402
from storage.db import create_engine  # noqa: E402

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0123ACME"
PO = "U0PETRA"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
TEAMS_PO = "29:1PETRA"
POSTGRES = os.environ.get(
    "HEATSHIELD_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def succeeded(result: dict[str, Any]) -> bool:
    """Answered with success (Slack's SDK answers 200, the Bot Framework's 200 or 201)."""
    return 200 <= int(result["status"]) < 300


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_ready(url: str, process: subprocess.Popen[bytes], limit: float = 120) -> float:
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() - started < limit:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}")
            try:
                async with session.get(url + "/healthz") as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the server did not become ready")


class Fake:
    """The fake Slack Web API in its own process (`module`); reads back what it recorded."""

    def __init__(self, folder: Path, platform: str = "slack") -> None:
        self.port = free_port()
        self.out = folder / f"{platform}-{self.port}.jsonl"
        self.out.touch()
        module = f"bench.load.fake_{platform}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, str(self.port), str(self.out)], cwd=REPO
        )
        self.url = f"http://127.0.0.1:{self.port}/api/"  # Slack's Web API
        self.service_url = f"http://127.0.0.1:{self.port}/teams/"  # the Bot Connector

    def posts(self) -> list[dict[str, Any]]:
        lines = self.out.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class Target:
    """A server under load: the bare bolt app, or Heatshield on a database."""

    def __init__(
        self, name: str, platform: str, folder: Path, fake: Fake, database: str | None, args: Any
    ):
        self.name = name
        self.platform = platform
        self.folder = folder
        self.fake = fake
        self.database = database
        self.args = args
        self.processes: list[subprocess.Popen[bytes]] = []
        self.ports: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports[0]}"

    def environment(self, port: int) -> dict[str, str]:
        return {
            **os.environ,
            "HEATSHIELD_DATABASE_URL": self.database or "",
            "HEATSHIELD_PORT": str(port),
            "HEATSHIELD_PLAYGROUND": "false",
            "HEATSHIELD_DEMO_WORKSPACE": "false",
            "HEATSHIELD_LOG_LEVEL": "WARNING",
            "HEATSHIELD_WORKERS": str(self.args.workers),
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": self.fake.url,
        }

    async def start(self) -> float:
        """Start the server(s); the seconds until the first was ready."""
        if self.database is None:
            port = free_port()
            self.ports.append(port)
            command = [sys.executable, "-m", "bench.load.bare_teams", str(port)]
            if self.platform == "slack":
                command = [sys.executable, "-m", "bench.load.bare_bolt", str(port), SECRET,
                           self.fake.url]  # fmt: skip
            self.processes.append(subprocess.Popen(command, cwd=REPO))
            return await wait_ready(self.url, self.processes[0])
        env = self.environment(3978)
        subprocess.run([str(BIN / "heatshield"), "db", "upgrade"], env=env, check=True,
                       capture_output=True)  # fmt: skip
        workspace, po = (TEAM, PO) if self.platform == "slack" else (TENANT, TEAMS_PO)
        subprocess.run(
            [str(BIN / "heatshield"), "team", "set", "--platform", self.platform, "--workspace",
             workspace, "--po", po], env=env, check=True, capture_output=True,
        )  # fmt: skip
        if self.args.open_items:
            await seed(self.database, self.args.open_items, self.platform, workspace, po)
        ready = 0.0
        roles = ("receive", "work") if self.args.split else ("all",)
        for n in range(self.args.replicas):
            for role in roles:
                port = free_port()
                if role != "work":
                    self.ports.append(port)  # the load goes to the receiving processes
                process = subprocess.Popen(
                    [str(BIN / "heatshield"), "serve", "--port", str(port)],
                    env={**self.environment(port), "HEATSHIELD_ROLE": role}, cwd=self.folder,
                )  # fmt: skip
                self.processes.append(process)
                seconds = await wait_ready(f"http://127.0.0.1:{port}", process)
                ready = max(ready, seconds) if n == 0 else ready
        return ready

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


async def seed(database: str, size: int, platform: str, workspace: str, po: str) -> None:
    """``size`` open requests in the workspace (random unit vectors of the built-in
    encoder's model: the lookup's cost does not depend on what they mean)."""
    engine = create_engine(database)
    try:
        workspace_id, person_id = await workspace_and_person(
            engine, platform=platform, workspace=workspace, user=po
        )
        rng = np.random.default_rng(7)
        await insert_open_items(
            engine, workspace_id=workspace_id, stakeholder_id=person_id,
            vectors=random_vectors(rng, size, BUILTIN_DIMENSIONS), model=BUILTIN_MODEL,
            now=datetime.now(UTC), rng=rng, tag="bench",
        )  # fmt: skip
    finally:
        await engine.dispose()


def load(
    target: Target, urls: list[str], mode: str, amount: float, seconds: float, out: Path
) -> list[Any]:
    """Run the load generator(s), one per replica URL, sharing the load; read their results."""
    share = amount / len(urls) if mode == "open" else max(1, int(amount) // len(urls))
    runs = []
    for n, url in enumerate(urls):
        command = [sys.executable, "-m", "bench.load.loadgen"]
        if target.platform == "slack":
            command += [url + "/slack/events", "slack", SECRET]
        else:
            command += [url + "/api/messages", "teams", target.fake.service_url]
        command += [mode, str(share), str(seconds), str(out) + f".{n}", f"{out.stem}{n}"]
        runs.append(subprocess.Popen(command, cwd=REPO))
    for run in runs:
        run.wait()
    results: list[Any] = []
    for n in range(len(urls)):
        path = Path(str(out) + f".{n}")
        results += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return results


def answers(fake: Fake, results: list[Any]) -> list[float]:
    """Per acked event, the seconds until its answer reached the stakeholder's DM (matched in
    order per stakeholder, as the bot answers one conversation in order)."""
    sent: dict[str, list[float]] = defaultdict(list)
    for result in sorted(results, key=lambda r: r["sent"]):
        if succeeded(result):
            sent[result["channel"]].append(result["sent"])
    posted: dict[str, list[float]] = defaultdict(list)
    for post in fake.posts():
        posted[post["channel"]].append(post["at"])
    delays: list[float] = []
    for channel, times in sent.items():
        for at_sent, at_answer in zip(times, sorted(posted[channel]), strict=False):
            delays.append(max(0.0, at_answer - at_sent))
    return delays


def stakeholder_posts(fake: Fake, results: list[Any]) -> list[dict[str, Any]]:
    """What reached the stakeholders' conversations (not the PO's cards)."""
    channels = {result["channel"] for result in results}
    return [post for post in fake.posts() if post["channel"] in channels]


async def wait_answered(fake: Fake, results: list[Any], expected: int, quiet: float = 10.0) -> None:
    """Until every acked event was answered, or nothing new came for ``quiet`` seconds."""
    last, last_change = -1, time.perf_counter()
    while True:
        count = len(stakeholder_posts(fake, results))
        if count >= expected:
            return
        if count != last:
            last, last_change = count, time.perf_counter()
        elif time.perf_counter() - last_change > quiet:
            return
        await asyncio.sleep(0.5)


async def database_for(kind: str, folder: Path, tag: str) -> str | None:
    if kind == "bare":
        return None
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{folder}/{tag}.db"
    return await create_database(POSTGRES, f"heatshield_bench_{tag}")


async def drop(database: str | None) -> None:
    if database is not None and database.startswith("postgresql"):
        await drop_database(POSTGRES, make_url(database).database or "")


async def scenario(
    platform: str, kind: str, mode: str, folder: Path, args: Any
) -> dict[str, float]:
    tag = f"{platform}_{kind}_{mode}_{uuid.uuid4().hex[:6]}"
    fake = Fake(folder, platform)
    database = await database_for(kind, folder, tag)
    target = Target(kind, platform, folder, fake, database, args)
    figures: dict[str, float] = {}
    try:
        figures["ready_s"] = await target.start()
        if kind != "bare":
            await asyncio.sleep(2)
            figures["idle_rss_mb"] = rss_mb(target.processes[0].pid)
        urls = [f"http://127.0.0.1:{port}" for port in target.ports]
        out = folder / tag
        if mode == "closed":
            started = time.time()
            results = load(target, urls, "closed", 20, args.closed_seconds, out)
            acked = [r for r in results if succeeded(r)]
            figures["acks_per_s"] = len(acked) / args.closed_seconds
            figures["ack_p50_ms"] = percentile([r["seconds"] for r in acked], 0.5) * 1000
            figures["ack_p99_ms"] = percentile([r["seconds"] for r in acked], 0.99) * 1000
            figures["not_2xx"] = len(results) - len(acked)
            if kind != "bare":
                await wait_answered(fake, results, len(acked))
                posts = stakeholder_posts(fake, results)
                if posts:
                    span = max(p["at"] for p in posts) - started
                    figures["handled_per_s"] = len(posts) / span
                figures["answered_share"] = len(posts) / max(1, len(acked))
        else:
            results = load(target, urls, "open", args.rate, args.open_seconds, out)
            acked = [r for r in results if succeeded(r)]
            figures["ack_p99_ms"] = percentile([r["seconds"] for r in results], 0.99) * 1000
            figures["not_2xx"] = len(results) - len(acked)
            figures["errors_5xx"] = len([r for r in results if r["status"] >= 500])
            if kind != "bare":
                await wait_answered(fake, results, len(acked))
                delays = answers(fake, results)
                figures["answered"] = len(delays)
                figures["answered_within_60s"] = len([d for d in delays if d <= 60])
                figures["sent"] = len(results)
                figures["answer_p99_s"] = percentile(delays, 0.99)
    finally:
        target.stop()
        fake.stop()
        await drop(database)
    return figures


def spread(values: list[float]) -> str:
    clean = [v for v in values if v == v]
    if not clean:
        return "-"
    return f"{min(clean):.1f} / {statistics.median(clean):.1f} / {max(clean):.1f}"


async def postgres_reachable() -> bool:
    engine = create_engine(POSTGRES)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        await engine.dispose()


async def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--closed-seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--open-seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--split", action="store_true", help="per replica, one receiving and one working process"
    )
    parser.add_argument("--modes", default="closed,open")
    parser.add_argument(
        "--platforms", default="slack",
        help="slack, teams or both (slack,teams): each against its own bare SDK",
    )  # fmt: skip
    parser.add_argument(
        "--open-items", type=int, default=0,
        help="open requests already in the workspace (e.g. 100000, with --rate 10)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    kinds = ["bare", "sqlite"]
    if not args.skip_postgres and await postgres_reachable():
        kinds.append("postgresql")
    modes = args.modes.split(",")
    platforms = args.platforms.split(",")
    collected: dict[tuple[str, str, str], list[dict[str, float]]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for round_number in range(args.rounds):
            for mode in modes:
                for platform_name in platforms:
                    for kind in kinds:  # interleaved: each round runs every target once
                        figures = await scenario(platform_name, kind, mode, folder, args)
                        collected[(platform_name, kind, mode)].append(figures)
                        print(f"round {round_number + 1} {platform_name:5s} {kind:10s} "
                              f"{mode:6s} {figures}", file=sys.stderr, flush=True)  # fmt: skip
    cores = os.cpu_count()
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}; "
          f"{args.rounds} rounds, workers {args.workers}, replicas {args.replicas}, "
          f"{args.open_items} open requests before, open loop {args.rate:g} events/s"
          f"{', receive/work split' if args.split else ''}; "
          "min / median / max")  # fmt: skip
    for (platform_name, kind, mode), rounds in collected.items():
        keys = sorted({key for figures in rounds for key in figures})
        cells = ", ".join(f"{key} {spread([r.get(key, float('nan')) for r in rounds])}"
                          for key in keys)  # fmt: skip
        print(f"  {platform_name:5s} {kind:10s} {mode:6s} {cells}")
    if args.json:
        print(json.dumps({f"{p}/{k}/{m}": v for (p, k, m), v in collected.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
