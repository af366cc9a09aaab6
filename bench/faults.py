"""The fault suite: real `heatshield serve` replicas on one PostgreSQL, a fake Slack Web API
that can fail on command, and a sender that behaves like Slack, while replicas are killed,
stopped and started together. Prints, per scenario: sent / acked / stored / answered / doubled
/ lost.

    python bench/faults.py [--events 700] [--rate 50] [--scale 1] [--scenarios kill,outage,...]

Slack's behaviour, compressed in time: an event not answered 200 within 3 s is sent again with
X-Slack-Retry-Num (after 1, 2 and 4 s here, 1 and 5 minutes at Slack), to whichever replica
is up; 20% of events are delivered a second time to the other replica as well. Each event
comes from a stakeholder of its own, so "answered" is a post in that person's DM; "doubled"
counts outbox messages posted twice (each post carries its outbox key in Slack's message
metadata); "lost" is an event acked (200) whose stakeholder never got an answer.

Scenarios:
- kill: a replica is killed -9 while events arrive, and started again 3 s later;
- outage: the Web API answers 503, then 429 with Retry-After: 2, then recovers (chat.postMessage
  calls during the 429s are counted);
- sigterm: a replica gets SIGTERM while events arrive, and is started again once it exited;
- start: two replicas started at the same moment on a fresh database, three times.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.databases import create_database, drop_database  # noqa: E402
from bench.intake_load import BIN, PO, POSTGRES, SECRET, TEAM, Fake, free_port  # noqa: E402
from storage.db import create_engine  # noqa: E402

FIXTURE = REPO / "tests/adapters/slack/fixtures/message_im.json"
SLACK_TIMEOUT = 3.0
RETRY_DELAYS = (1.0, 2.0, 4.0)
REDELIVERED = 0.2
TEXT = "Could the invoice overview get a filter on due date? Finance retypes it each month"


class FakeWebApi(Fake):
    """The fault suite's fake Web API, which can be told to fail."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder, "bench.load.fake_slack_faults")

    async def mode(self, mode: str, retry_after: int = 2) -> None:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.post(
                        f"http://127.0.0.1:{self.port}/control",
                        json={"mode": mode, "retry_after": retry_after},
                    ):
                        return
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)  # still starting


class Replicas:
    """`heatshield serve` processes on one database, each on a port of its own."""

    def __init__(self, database: str, fake: FakeWebApi, folder: Path, count: int) -> None:
        self.database = database
        self.fake = fake
        self.folder = folder
        self.ports = [free_port() for _ in range(count)]
        self.processes: list[subprocess.Popen[bytes] | None] = [None] * count
        self.logs = [folder / f"replica-{n}.log" for n in range(count)]

    def environment(self, port: int) -> dict[str, str]:
        return {
            **os.environ,
            "HEATSHIELD_DATABASE_URL": self.database,
            "HEATSHIELD_PORT": str(port),
            "HEATSHIELD_PLAYGROUND": "false",
            "HEATSHIELD_DEMO_WORKSPACE": "false",
            "HEATSHIELD_LOG_LEVEL": os.environ.get("HEATSHIELD_LOG_LEVEL", "WARNING"),
            "HEATSHIELD_STOP_GRACE_SECONDS": "10",
            "SLACK_BOT_TOKEN": "xoxb-faults",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": self.fake.url,
        }

    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}/slack/events" for port in self.ports]

    def up(self, n: int) -> bool:
        process = self.processes[n]
        return process is not None and process.poll() is None

    def start(self, n: int) -> subprocess.Popen[bytes]:
        log = self.logs[n].open("ab")
        process = subprocess.Popen(
            [str(BIN / "heatshield"), "serve", "--port", str(self.ports[n])],
            env=self.environment(self.ports[n]),
            cwd=self.folder,
            stdout=log,
            stderr=log,
        )
        self.processes[n] = process
        return process

    async def ready(self, n: int, limit: float = 120) -> bool:
        url = f"http://127.0.0.1:{self.ports[n]}/healthz"
        started = time.monotonic()
        async with aiohttp.ClientSession() as session:
            while time.monotonic() - started < limit:
                if not self.up(n):
                    return False
                try:
                    async with session.get(url) as response:
                        if response.status == 200:
                            return True
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        return False

    def signal(self, n: int, number: int) -> None:
        process = self.processes[n]
        if process is not None:
            process.send_signal(number)

    def stop(self) -> None:
        for process in self.processes:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in self.processes:
            if process is not None:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()

    def dump(self, n: int) -> None:
        """Where a replica that does not stop is stuck: py-spy's dump, when it is installed."""
        process = self.processes[n]
        spy = shutil.which("py-spy") or str(BIN / "py-spy")
        if process is None or not Path(spy).exists():
            return
        found = subprocess.run([spy, "dump", "--pid", str(process.pid)], capture_output=True)
        (self.folder / f"replica-{n}-stuck.txt").write_bytes(found.stdout + found.stderr)

    def tracebacks(self) -> int:
        return sum(log.read_text(errors="replace").count("Traceback") for log in self.logs)


class SlackSender:
    """Sends events the way Slack does: signed, retried when not answered 200 in time."""

    def __init__(self, replicas: Replicas, run: str) -> None:
        self.replicas = replicas
        self.run = run
        self.template = json.loads(FIXTURE.read_text())
        self.verifier = SignatureVerifier(SECRET)
        self.acked: set[int] = set()
        self.statuses: Counter[int] = Counter()

    def user(self, n: int) -> str:
        return f"U{self.run}{n:05d}"

    def body(self, n: int) -> str:
        user = self.user(n)
        body = copy.deepcopy(self.template)
        body["event_id"] = f"Ev{self.run}{n:05d}"
        body["event"].update(
            user=user,
            channel="D" + user[1:],
            text=f"{TEXT} (#{n})",
            ts=f"{1763890200 + n}.000100",
            client_msg_id=f"{self.run}-{n}",
        )
        body["event"].pop("blocks", None)
        return json.dumps(body)

    async def post(self, session: aiohttp.ClientSession, url: str, raw: str, retry: int) -> int:
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=stamp, body=raw),
        }
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        try:
            timeout = aiohttp.ClientTimeout(total=SLACK_TIMEOUT)
            async with session.post(url, data=raw, headers=headers, timeout=timeout) as answer:
                await answer.read()
                return answer.status
        except (TimeoutError, aiohttp.ClientError):
            return 0

    def target(self, n: int, attempt: int) -> str:
        """The replica a load balancer would pick: the event's own, or a live one."""
        urls = self.replicas.urls()
        live = [i for i in range(len(urls)) if self.replicas.up(i)] or list(range(len(urls)))
        return urls[live[(n + attempt) % len(live)]]

    async def deliver(self, session: aiohttp.ClientSession, n: int) -> None:
        raw = self.body(n)
        for attempt in range(len(RETRY_DELAYS) + 1):
            status = await self.post(session, self.target(n, attempt), raw, attempt)
            self.statuses[status] += 1
            if status == 200:
                self.acked.add(n)
                break
            if attempt < len(RETRY_DELAYS):
                await asyncio.sleep(RETRY_DELAYS[attempt])
        if random.random() < REDELIVERED:
            status = await self.post(session, self.target(n, 1), raw, 1)
            self.statuses[status] += 1


async def send_events(sender: SlackSender, count: int, rate: float) -> None:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.monotonic()
        tasks = []
        for n in range(count):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(sender.deliver(session, n)))
        await asyncio.gather(*tasks)


async def settled(database: str, limit: float) -> None:
    """Wait until nothing is left to handle or deliver (or `limit` seconds)."""
    engine = create_engine(database)
    started = time.monotonic()
    try:
        while time.monotonic() - started < limit:
            async with engine.connect() as connection:
                inbound = await connection.scalar(
                    text(
                        "SELECT count(*) FROM inbound_events WHERE status IN ('pending', 'working')"
                    )
                )
                outbox = await connection.scalar(
                    text("SELECT count(*) FROM outbox WHERE status = 'pending'")
                )
            if not inbound and not outbox:
                return
            await asyncio.sleep(1)
    finally:
        await engine.dispose()


async def stored_events(database: str, run: str) -> int:
    engine = create_engine(database)
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(
                text("SELECT count(*) FROM inbound_events WHERE idempotency_key LIKE :key"),
                {"key": f"event:Ev{run}%"},
            )
        return int(found or 0)
    finally:
        await engine.dispose()


def tally(sender: SlackSender, fake: FakeWebApi, sent: int, stored: int) -> dict[str, Any]:
    posts = [post for post in fake.posts() if "refused" not in post]
    answered = {post["channel"] for post in posts}
    keys = Counter(post["key"] for post in posts if post.get("key"))
    answered_events = {n for n in range(sent) if "D" + sender.user(n)[1:] in answered}
    return {
        "sent": sent,
        "acked": len(sender.acked),
        "stored": stored,
        "answered": len(answered_events),
        "doubled": sum(count - 1 for count in keys.values() if count > 1),
        "lost": len(sender.acked - answered_events),
    }


class Stage:
    """A fresh database, the fake Web API and the replicas, torn down afterwards."""

    def __init__(self, folder: Path, replicas: int) -> None:
        self.folder = folder
        self.count = replicas
        self.name = f"heatshield_faults_{uuid.uuid4().hex[:8]}"
        self.database = (
            make_url(POSTGRES).set(database=self.name).render_as_string(hide_password=False)
        )

    async def __aenter__(self) -> Stage:
        await create_database(POSTGRES, self.name)
        self.fake = FakeWebApi(self.folder)
        await self.fake.mode("ok")
        self.replicas = Replicas(self.database, self.fake, self.folder, self.count)
        return self

    async def prepare(self) -> None:
        env = self.replicas.environment(3978)
        subprocess.run(
            [str(BIN / "heatshield"), "db", "upgrade"], env=env, check=True, capture_output=True
        )
        subprocess.run(
            [
                str(BIN / "heatshield"),
                "team",
                "set",
                "--platform",
                "slack",
                "--workspace",
                TEAM,
                "--po",
                PO,
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        for n in range(self.count):
            self.replicas.start(n)
        for n in range(self.count):
            if not await self.replicas.ready(n):
                raise RuntimeError(f"replica {n} did not start: see {self.replicas.logs[n]}")

    async def __aexit__(self, *_: object) -> None:
        self.replicas.stop()
        self.fake.stop()
        await drop_database(POSTGRES, self.name)


async def with_fault(
    stage: Stage, events: int, rate: float, fault: Any, settle: float
) -> dict[str, Any]:
    await stage.prepare()
    run = uuid.uuid4().hex[:4].upper()
    sender = SlackSender(stage.replicas, run)
    load = asyncio.create_task(send_events(sender, events, rate))
    extra = await fault(stage, events / rate)
    await load
    await settled(stage.database, settle)
    figures = tally(sender, stage.fake, events, await stored_events(stage.database, run))
    figures["non-200 answers"] = sum(c for status, c in sender.statuses.items() if status != 200)
    figures["tracebacks"] = stage.replicas.tracebacks()
    return {**figures, **(extra or {})}


async def kill_one(stage: Stage, seconds: float) -> dict[str, Any]:
    await asyncio.sleep(seconds * 0.4)
    stage.replicas.signal(1, signal.SIGKILL)
    await asyncio.sleep(3)
    stage.replicas.start(1)
    await stage.replicas.ready(1)
    return {}


async def term_one(stage: Stage, seconds: float) -> dict[str, Any]:
    await asyncio.sleep(seconds * 0.4)
    process = stage.replicas.processes[1]
    assert process is not None
    stage.replicas.signal(1, signal.SIGTERM)
    try:
        code = await asyncio.to_thread(process.wait, 60)
    except subprocess.TimeoutExpired:
        stage.replicas.dump(1)
        process.kill()
        code = await asyncio.to_thread(process.wait, 10)
    stage.replicas.start(1)
    await stage.replicas.ready(1)
    return {"exit code": code}


def outage(unavailable: float, limited: float) -> Any:
    async def fault(stage: Stage, _: float) -> dict[str, Any]:
        await stage.fake.mode("503")
        await asyncio.sleep(unavailable)
        await stage.fake.mode("429", retry_after=2)
        started = len(stage.fake.posts())
        await asyncio.sleep(limited)
        during = len(stage.fake.posts()) - started
        await stage.fake.mode("ok")
        return {"posts tried during the 429s": during, "429 seconds": limited}

    return fault


async def start_together(folder: Path, tries: int) -> dict[str, Any]:
    crashed = 0
    for _ in range(tries):
        async with Stage(folder, 2) as stage:
            stage.replicas.start(0)
            stage.replicas.start(1)
            up = await asyncio.gather(stage.replicas.ready(0), stage.replicas.ready(1))
            crashed += sum(1 for ok in up if not ok)
    return {"tries": tries, "replicas crashed": crashed}


async def main(args: argparse.Namespace) -> None:
    events, rate = int(args.events * args.scale), args.rate * args.scale
    outage_events = int(300 * args.scale)
    print(
        f"# machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; PostgreSQL at {make_url(POSTGRES).host}; 2 replicas"
    )
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(args.keep or folder_name)
        folder.mkdir(parents=True, exist_ok=True)
        for scenario in args.scenarios.split(","):
            if scenario == "start":
                results[scenario] = await start_together(folder, 3)
                continue
            async with Stage(folder, 2) as stage:
                if scenario == "kill":
                    name = f"{events} events at {rate:g}/s, a replica killed -9 and restarted"
                    results[name] = await with_fault(stage, events, rate, kill_one, args.settle)
                elif scenario == "sigterm":
                    name = f"{events} events at {rate:g}/s, SIGTERM to a replica mid-load"
                    results[name] = await with_fault(stage, events, rate, term_one, args.settle)
                elif scenario == "outage":
                    fault = outage(args.unavailable, args.limited)
                    name = (
                        f"{outage_events} events through {args.unavailable:g} s of 503 "
                        f"and {args.limited:g} s of 429"
                    )
                    per_second = outage_events / (args.unavailable + args.limited)
                    results[name] = await with_fault(
                        stage, outage_events, per_second, fault, args.settle
                    )
    if args.json:
        print(json.dumps(results, indent=2))
        return
    columns = ("sent", "acked", "stored", "answered", "doubled", "lost")
    print("| scenario | " + " | ".join(columns) + " | also |")
    print("| --- " * (len(columns) + 2) + "|")
    for name, figures in results.items():
        cells = [str(figures.get(column, "")) for column in columns]
        rest = ", ".join(f"{k}: {v}" for k, v in figures.items() if k not in columns)
        print(f"| {name} | " + " | ".join(cells) + f" | {rest} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=700)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--scale", type=float, default=1.0, help="2 for twice the load")
    parser.add_argument("--scenarios", default="kill,outage,sigterm,start")
    parser.add_argument("--unavailable", type=float, default=20.0, help="seconds of 503")
    parser.add_argument("--limited", type=float, default=20.0, help="seconds of 429")
    parser.add_argument("--settle", type=float, default=300.0, help="seconds to wait for the end")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", help="a folder to keep the replicas' logs and the posts in")
    asyncio.run(main(parser.parse_args()))
