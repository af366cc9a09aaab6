"""How long the coach's weekly digest takes over a year of requests.

    python bench/digest_time.py [--requests N] [--rounds R] [--confidentiality LEVEL]
                                [--seed S] [--database URL]

Builds one workspace with a PO, a coach, four team members, 42 stakeholders (36 of them in six
groups, five of which have a desired share) and a coaching contract of twelve sessions over the
year, then N requests spread over the 52 weeks up to 2026-W48, inserted with bulk inserts: every
type, urgency, escalations ("It's urgent"), forwards through the back door, and the decisions a
PO makes (approve, decline, defer, merge, ask; a question or a deferral is followed by another
decision, and the newest requests mostly wait), each item with a stored embedding as the intake
leaves it; under `full` also a year of answered weekly reflections.

Then times what the scheduler does when the coach's digest of 2026-W48 falls due
(handlers.coaching.jobs._claim_and_send for the send handlers.coaching.plan.plan gives): the
message composed by send.compose_ahead in a read-only unit (the figures, the chart drawn in a
thread, the chat message), then the send claimed and send.deliver writing the message to the
outbox in one transaction, rolled back here, so nothing is claimed or sent. The first call is
shown apart (matplotlib loads then); of the --rounds after it, min / median / max milliseconds,
and the same steps one by one.

SQLite (a temporary file) by default. --database with a PostgreSQL URL (the server's, e.g.
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres) creates a fresh database
heatshield_bench_digest there, ANALYZEs it after the load as autovacuum would, and drops it
at the end; any other URL is used as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.databases import create_database, drop_database  # noqa: E402
from bot.kernel.clock import FakeClock  # noqa: E402
from bot.kernel.i18n import Translator  # noqa: E402
from bot.kernel.settings import load_settings  # noqa: E402
from bot.runtime.app import build_runtime, prepare  # noqa: E402
from handlers.coaching.contract import ContractSpec, set_contract  # noqa: E402
from handlers.coaching.digest import build_digest, week_bounds  # noqa: E402
from handlers.coaching.plan import Kind, Planned, plan  # noqa: E402
from handlers.coaching.preferences import PreferencesSpec, set_preferences, set_shares  # noqa: E402
from handlers.coaching.report import digest_chart, digest_message  # noqa: E402
from handlers.coaching.send import compose_ahead, deliver, send_to  # noqa: E402
from handlers.coaching.timing import at_local  # noqa: E402
from handlers.people import ensure_person  # noqa: E402
from handlers.team import TeamSpec, set_team  # noqa: E402
from handlers.triage.embedding import BUILTIN_MODEL  # noqa: E402
from storage.coaching_models import Confidentiality, Reflection, ScheduledSend  # noqa: E402
from storage.models import (  # noqa: E402
    BacklogItem,
    Decision,
    ItemStatus,
    Request,
    Role,
    Workspace,
)

WEEK = "2026-W48"
WEEKS = 52
PLATFORM = "slack"
WORKSPACE = "T0BENCH"
PG_DATABASE = "heatshield_bench_digest"
DIMENSIONS = 512  # the built-in encoder's embedding, stored as float32 bytes
CHUNK = 2_000
GROUPS = ("Finance", "Marketing", "Sales", "Support", "Operations", "Legal")
DESIRED = {"Finance": 25, "Marketing": 20, "Sales": 20, "Support": 15, "Operations": 10}
TYPES = (("feature", 0.55), ("bug", 0.25), ("question", 0.14), ("incident", 0.06))
SOURCES = (("direct", 0.6), ("channel", 0.25), ("back_door", 0.15))
# What the PO does first with a request that gets decided (ask: a question back first).
FIRST_MOVES = (
    ("approve", 0.42),
    ("decline", 0.18),
    ("defer", 0.14),
    ("merge", 0.10),
    ("ask", 0.16),
)
ASKS = {
    "feature": (
        "Could the {thing} get an export to CSV? {group} retypes it by hand every month.",
        "Please add a filter by {field} to the {thing}, we spend hours scrolling through it.",
        "We need the {thing} to send a weekly summary by e-mail to the {group} team.",
        "Can the {thing} show the {field} on each row, so nobody opens them one by one?",
        "For the {season} campaign we would like a banner on the {thing} with the discount.",
    ),
    "bug": (
        "The {thing} shows the wrong {field} since the last release, customers are calling.",
        "Saving in the {thing} fails with an error when the {field} is empty.",
        "The totals in the {thing} do not add up: the {field} is counted twice.",
        "The {thing} is very slow for {group} in the mornings, sometimes it times out.",
    ),
    "question": (
        "Is it possible to see who changed the {field} in the {thing}?",
        "When will the new {thing} be available for the {group} team?",
        "Where can I find the {field} of last quarter in the {thing}?",
    ),
    "incident": (
        "The {thing} is down for everyone in {group}, nobody can log in.",
        "Payments are failing in the {thing}, the {field} is rejected for every order.",
    ),
}
THINGS = (
    "invoice page",
    "expense overview",
    "customer portal",
    "order screen",
    "dashboard",
    "reporting module",
    "checkout",
    "admin panel",
)
FIELDS = ("due date", "status", "cost centre", "region", "owner", "amount", "VAT number")
SEASONS = ("spring", "summer", "autumn", "winter")
QUESTIONS = (
    "Which request this week was hardest to say no to, and why?",
    "Whose requests did you let jump the queue this week?",
    "What would you do differently in next week's reviews?",
)


def pick(rng: random.Random, weighted: Sequence[tuple[str, float]]) -> str:
    return rng.choices([key for key, _ in weighted], [weight for _, weight in weighted])[0]


def delay(rng: random.Random, median_hours: float) -> timedelta:
    """How long a step takes: log-normal around the median, a few very slow ones."""
    return timedelta(hours=min(24 * 30, rng.lognormvariate(math.log(median_hours), 1.0)))


class Year:
    """A year of one workspace's requests, items and decisions, as rows for bulk inserts."""

    def __init__(self, rng: random.Random, workspace: Workspace, people: dict[str, Any]) -> None:
        self.rng = rng
        self.workspace = workspace
        self.po_id: int = people["po"]
        self.stakeholders: list[tuple[int, str, str | None]] = people["stakeholders"]
        self.members: list[int] = people["members"]
        # A few stakeholders ask far more than the others.
        self.weights = [1 / (rank + 1) ** 0.8 for rank in range(len(self.stakeholders))]
        self.requests: list[dict[str, Any]] = []
        self.items: list[dict[str, Any]] = []
        self.decisions: list[dict[str, Any]] = []
        self.reflections: list[dict[str, Any]] = []
        self.vectors = np.random.default_rng(rng.randrange(2**32))

    def build(self, count: int, first_id: int, mondays: list[date], now: datetime) -> None:
        tz = self.workspace.timezone
        approved_ids: list[int] = []
        for n in range(count):
            item_id = first_id + n
            monday = mondays[self.rng.randrange(len(mondays))]
            day = monday + timedelta(days=self.rng.choice((0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5)))
            minute = self.rng.randrange(8 * 60, 18 * 60)
            received = at_local(day, clock_time(minute // 60, minute % 60), tz)
            received += timedelta(seconds=self.rng.randrange(60))
            kind = self._request(item_id, received)
            self._item(item_id, kind, received, now, approved_ids)
        embeddings = self.vectors.standard_normal((count, DIMENSIONS), dtype=np.float32)
        embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
        for row, vector in zip(self.items, embeddings, strict=True):
            row["embedding"] = vector.astype("<f4").tobytes()

    def _request(self, item_id: int, received: datetime) -> str:
        stakeholder_id, user, group = self.rng.choices(self.stakeholders, self.weights)[0]
        kind = pick(self.rng, TYPES)
        source = pick(self.rng, SOURCES)
        ask = self.rng.choice(ASKS[kind]).format(
            thing=self.rng.choice(THINGS),
            field=self.rng.choice(FIELDS),
            group=group or "our",
            season=self.rng.choice(SEASONS),
        )
        channel = {"direct": f"D{user.upper()}", "channel": "C0ASKS", "back_door": "D0TEAM"}
        self.requests.append(
            {
                "id": item_id,
                "workspace_id": self.workspace.id,
                "stakeholder_id": stakeholder_id,
                "forwarded_by_id": self.rng.choice(self.members) if source == "back_door" else None,
                "text": ask,
                "clarification": None,
                "source": source,
                "conversation": {
                    "platform": PLATFORM,
                    "workspace": WORKSPACE,
                    "channel": channel[source],
                    "user": user,
                    "thread": f"{received.timestamp():.6f}" if source == "channel" else None,
                    "extra": {},
                },
                "inbound_key": f"Ev{item_id:08d}",
                "received_at": received,
            }
        )
        return kind

    def _item(
        self, item_id: int, kind: str, received: datetime, now: datetime, approved: list[int]
    ) -> None:
        rng = self.rng
        urgent = kind == "incident" or (kind == "bug" and rng.random() < 0.2)
        ask_text = self.requests[-1]["text"]
        item: dict[str, Any] = {
            "id": item_id,
            "workspace_id": self.workspace.id,
            "request_id": item_id,
            "title": ask_text[:80],
            "type": kind,
            "urgent": urgent,
            "needs_info": False,
            "rank": None,
            "status": ItemStatus.QUEUED.value,
            "deferred_until": None,
            "duplicate_of_id": None,
            "duplicate_score": None,
            "reasons": [f"type:{kind}", "urgent" if urgent else "not urgent"],
            "embedding_model": BUILTIN_MODEL,
            "words": len(ask_text.split()),
            "changed_at": received,
            "check_kind": None,
            "check_of_id": None,
            "check_answer": None,
            "urgent_by": None,
            "escalated_at": None,
            "pending_question": None,
            "question_asked_by_id": None,
            "created_at": received,
            "decided_at": None,
        }
        if not urgent and rng.random() < 0.06:  # "It's urgent" on the acknowledgement
            item.update(
                urgent=True,
                urgent_by="stakeholder",
                escalated_at=received + timedelta(minutes=rng.randrange(1, 90)),
            )
        self.items.append(item)
        median = 3.0 if item["urgent"] else 20.0
        moment = received + delay(rng, median)
        move = pick(rng, FIRST_MOVES)
        for _ in range(3):  # an item is decided at most three times here
            if moment >= now:
                return  # still waiting for the PO
            if move == "ask":
                question = "What exactly goes wrong, and for how many customers?"
                self._decide(item, "ask", moment, reason=question)
                item.update(
                    status=ItemStatus.NEEDS_INFO.value,
                    needs_info=True,
                    pending_question=question,
                    question_asked_by_id=self.po_id,
                )
                answered = moment + delay(rng, 6.0)
                if answered >= now or rng.random() < 0.1:
                    return  # the stakeholder has not answered (yet)
                item.update(status=ItemStatus.QUEUED.value, needs_info=False, pending_question=None)
                item["changed_at"] = answered
                moment = answered + delay(rng, median)
                move = pick(rng, [m for m in FIRST_MOVES if m[0] != "ask"])
                continue
            if move == "approve":
                self._decide(item, "approve", moment, position=rng.choice(("top", "bottom")))
                item.update(status=ItemStatus.APPROVED.value, rank=float(len(approved)))
                approved.append(item["id"])
            elif move == "decline":
                self._decide(item, "decline", moment, reason="Not something we will build now.")
                item["status"] = ItemStatus.DECLINED.value
            elif move == "merge" and approved:
                target = approved[-rng.randrange(1, min(len(approved), 200) + 1)]
                self._decide(item, "merge", moment, merged_into=str(target))
                score = round(rng.uniform(0.8, 0.97), 3)
                item.update(status=ItemStatus.MERGED.value, duplicate_of_id=target)
                item["duplicate_score"] = score
            else:
                until = moment + timedelta(days=rng.choice((14, 28, 42, 90)))
                self._decide(item, "defer", moment, until=until.isoformat())
                item.update(status=ItemStatus.DEFERRED.value, deferred_until=until)
                if until >= now:
                    return
                item["status"] = ItemStatus.QUEUED.value  # back in the queue, still there?
                if rng.random() < 0.3:
                    return
                moment = until + delay(rng, median)
                move = pick(rng, [m for m in FIRST_MOVES if m[0] not in ("ask", "defer")])
                continue
            return

    def _decide(self, item: dict[str, Any], action: str, moment: datetime, **detail: Any) -> None:
        reason = detail.pop("reason", None)
        self.decisions.append(
            {
                "item_id": item["id"],
                "actor_id": self.po_id,
                "action": action,
                "reason": reason,
                "detail": detail,
                "decided_at": moment,
            }
        )
        item["decided_at"] = item["changed_at"] = moment

    def reflect(self, contract_id: int, mondays: list[date]) -> None:
        tz = self.workspace.timezone
        for number, monday in enumerate(mondays):
            asked = at_local(monday + timedelta(days=4), clock_time(16), tz)
            year, week, _ = monday.isocalendar()
            self.reflections.append(
                {
                    "contract_id": contract_id,
                    "period": f"{year}-W{week:02d}",
                    "question": QUESTIONS[number % len(QUESTIONS)],
                    "answer": "Finance again: I said yes before I had looked at the queue.",
                    "asked_at": asked,
                    "answered_at": asked + timedelta(minutes=self.rng.randrange(5, 120)),
                }
            )


async def populate(runtime: Any, requests: int, level: str, seed: int) -> dict[str, int]:
    services = runtime.services
    now = services.clock.now()
    rng = random.Random(seed)
    target = date.fromisocalendar(2026, 48, 1)
    mondays = [target - timedelta(weeks=WEEKS - 1 - k) for k in range(WEEKS)]
    async with runtime.db.transaction() as uow:
        spec = TeamSpec(platform=PLATFORM, workspace=WORKSPACE, po="po", coach="coach")
        workspace = await set_team(uow, spec, services.defaults, now)
        contract = await set_contract(uow, services, workspace, ContractSpec(
            coach="coach", start=mondays[0], every_days=32, sessions=12, confidentiality=level,
            themes=["prioritising", "stakeholders"],
        ))  # fmt: skip
        people: dict[str, Any] = {"po": contract.po_id, "stakeholders": [], "members": []}
        for n in range(4):
            member = await ensure_person(uow, workspace, f"dev{n}", now, role=Role.MEMBER)
            people["members"].append(member.id)
        for n in range(42):
            group = GROUPS[n % len(GROUPS)] if n < 36 else None
            user = f"stakeholder{n}"
            person = await ensure_person(uow, workspace, user, now, display_name=f"Person {n}")
            if group is not None:
                await set_preferences(uow, workspace, user, PreferencesSpec(group=group), now)
            people["stakeholders"].append((person.id, user, group))
        rng.shuffle(people["stakeholders"])
        await set_shares(uow, workspace, DESIRED)
        contract_id = contract.id
    year = Year(rng, workspace, people)
    async with runtime.db.transaction() as uow:
        connection = await uow.session.connection()
        first = (await connection.scalar(select(func.max(BacklogItem.id))) or 0) + 1
        year.build(requests, first, mondays, now)
        if level == Confidentiality.FULL:
            year.reflect(contract_id, mondays)
        for model, rows in (
            (Request, year.requests),
            (BacklogItem, year.items),
            (Decision, year.decisions),
            (Reflection, year.reflections),
        ):
            for start in range(0, len(rows), CHUNK):
                await connection.execute(insert(model.__table__), rows[start : start + CHUNK])
        if connection.dialect.name == "postgresql":
            for table in ("requests", "backlog_items"):
                await connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                ))  # fmt: skip
    if runtime.engine.dialect.name == "postgresql":
        async with runtime.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("ANALYZE"))
    start, end = week_bounds(WEEK, workspace.timezone)
    return {
        "requests": len(year.requests),
        "in week": sum(start <= r["received_at"] < end for r in year.requests),
        "decisions": len(year.decisions),
        "reflections": len(year.reflections),
    }


async def digest_send(runtime: Any) -> Planned:
    """The coach's digest of WEEK, as the scheduler plans it when it falls due."""
    async with runtime.db.read() as uow:
        due = await plan(uow, runtime.services.clock.now(), timedelta(0))
    found = [p for p in due if p.kind is Kind.DIGEST and p.week == WEEK]
    if len(found) != 1:
        raise SystemExit(f"expected one digest send for {WEEK}, planned: {len(found)}")
    return found[0]


class DiscardError(Exception):
    """Raised to roll the timed transaction back: nothing is claimed, nothing reaches the outbox."""


def claim(planned: Planned, now: datetime) -> ScheduledSend:
    return ScheduledSend(
        key=planned.key, kind=planned.kind, due_at=planned.due_at, outcome="sent", decided_at=now
    )


async def timed_send(runtime: Any, planned: Planned) -> float:
    """What jobs._claim_and_send does for the digest: compose it in a read-only unit, then claim
    the send and write the message to the outbox in one transaction, here rolled back."""
    services = runtime.services
    start = time.perf_counter()
    async with runtime.db.read() as uow:
        composed = await compose_ahead(uow, services, planned)
    try:
        async with runtime.db.transaction() as uow:
            if not await uow.coaching.claim_send(claim(planned, services.clock.now())):
                raise SystemExit(f"the send {planned.key} was claimed already")
            await deliver(uow, services, planned, composed)
            elapsed = (time.perf_counter() - start) * 1000
            raise DiscardError
    except DiscardError:
        pass
    return elapsed


async def timed_steps(runtime: Any, planned: Planned) -> dict[str, float]:
    """The same steps one by one (as send._digest_message and send.send_to take them), and the
    sizes of what would be sent."""
    assert planned.contract is not None and planned.week is not None
    services = runtime.services
    tr = Translator(planned.recipient.language)
    steps: dict[str, float] = {}
    start = time.perf_counter()
    async with runtime.db.read() as uow:
        digest = await build_digest(uow, planned.workspace, planned.contract, planned.week)
        steps["build_digest"] = time.perf_counter()
        chart = await asyncio.to_thread(digest_chart, tr, digest)
        steps["digest_chart"] = time.perf_counter()
        message = digest_message(tr, digest, chart)
        steps["digest_message"] = time.perf_counter()
    try:
        async with runtime.db.transaction() as uow:
            await uow.coaching.claim_send(claim(planned, services.clock.now()))
            await send_to(uow, services, planned, message)
            steps["claim, send_to"] = time.perf_counter()
            raise DiscardError
    except DiscardError:
        pass
    result: dict[str, float] = {}
    for name, moment in steps.items():
        result[name] = (moment - start) * 1000
        start = moment
    result["chart KB"] = len(chart) / 1024
    result["message KB"] = len(json.dumps(message.model_dump(mode="json"))) / 1024
    result["item lines"] = len(digest.items)
    return result


async def database_version(runtime: Any) -> str:
    if runtime.engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    async with runtime.engine.connect() as connection:
        version = await connection.scalar(text("SHOW server_version"))
    return f"PostgreSQL {str(version).split()[0]}"


def spread(values: list[float]) -> str:
    return (
        f"min {min(values):.0f} ms, median {statistics.median(values):.0f} ms, "
        f"max {max(values):.0f} ms"
    )


async def run(url: str, requests: int, rounds: int, level: str, seed: int) -> None:
    load = os.getloadavg()[0]
    tz = load_settings(demo_workspace=False).default_timezone
    now = at_local(date.fromisocalendar(2026, 49, 1), clock_time(10), tz)
    clock = FakeClock(now)
    runtime = build_runtime(load_settings(database_url=url, demo_workspace=False), clock=clock)
    try:
        await prepare(runtime)
        loading = time.perf_counter()
        counts = await populate(runtime, requests, level, seed)
        loading = time.perf_counter() - loading
        planned = await digest_send(runtime)
        first = await timed_send(runtime, planned)
        totals: list[float] = []
        steps: list[dict[str, float]] = []
        for _ in range(rounds):
            totals.append(await timed_send(runtime, planned))
            steps.append(await timed_steps(runtime, planned))
        database = await database_version(runtime)
    finally:
        await runtime.engine.dispose()
        await runtime.store_engine.dispose()
    print(
        f"machine {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {database}; "
        f"load average {load:.1f} before the run"
    )
    print(
        f"data: {counts['requests']} requests over {WEEKS} weeks ({counts['in week']} in {WEEK}), "
        f"{counts['decisions']} decisions, {counts['reflections']} reflections, "
        f"confidentiality {level}; loaded in {loading:.1f} s"
    )
    print(f"digest {WEEK} (compose_ahead, claim, deliver): first call {first:.0f} ms")
    print(f"  over {rounds} rounds: {spread(totals)}")
    for name in ("build_digest", "digest_chart", "digest_message", "claim, send_to"):
        print(f"  {name:<15} {spread([s[name] for s in steps])}")
    last = steps[-1]
    print(
        f"  sent: {last['item lines']:.0f} item lines, chart {last['chart KB']:.0f} KB, "
        f"message {last['message KB']:.0f} KB"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--confidentiality",
        default=Confidentiality.FULL.value,
        choices=[level.value for level in Confidentiality],
        help="what the coach may read (default: full, the most the digest holds)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database",
        default=None,
        help="default: a temporary SQLite file; a PostgreSQL server's URL gets a fresh database",
    )
    args = parser.parse_args()
    options = (args.requests, max(1, args.rounds), args.confidentiality, args.seed)
    if args.database and make_url(args.database).get_backend_name() == "postgresql":
        url = await create_database(args.database, PG_DATABASE)
        try:
            await run(url, *options)
        finally:
            await drop_database(args.database, PG_DATABASE)
    elif args.database:
        await run(args.database, *options)
    else:
        with tempfile.TemporaryDirectory() as folder:
            await run(f"sqlite+aiosqlite:///{folder}/bench.db", *options)


if __name__ == "__main__":
    asyncio.run(main())
