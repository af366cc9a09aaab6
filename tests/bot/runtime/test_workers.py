"""The inbound queue under load: acks never wait for handling, a flood leaves nothing pending,
events of one conversation keep their order, replicas share the work, and too much waiting is
refused with a 503 instead of a slow ack."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pytest
from sqlalchemy import select

from bot.kernel.clock import FakeClock
from bot.kernel.errors import OverloadedError
from bot.kernel.settings import load_settings
from bot.runtime.app import Runtime, build_runtime, prepare
from bot.runtime.inbound import InboundStore
from handlers.triage import Triager, Vectors
from storage.models import InboundRecord, OutboxMessage
from storage.repositories import Database
from tests import state
from tests.events import message

FLOOD = 150


class GatedTriager(Triager):
    """Embeds only once the gate opens: every worker is stuck on the triage's CPU work (as
    under a flood), handling is saturated."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.stuck = threading.Event()

    def vectors(self, texts: Sequence[str]) -> list[Vectors]:
        self.stuck.set()
        self.gate.wait(timeout=30)
        return super().vectors(texts)


@pytest.fixture
async def gated(database_url: str, clock: FakeClock) -> AsyncIterator[tuple[Runtime, GatedTriager]]:
    triager = GatedTriager()
    runtime = build_runtime(
        load_settings(database_url=database_url, workers=2), clock=clock, triager=triager
    )
    await prepare(runtime, upgrade=False)
    yield runtime, triager
    triager.gate.set()
    await runtime.workers.stop()
    await runtime.store_engine.dispose()
    await runtime.engine.dispose()


async def records(runtime: Runtime) -> Sequence[InboundRecord]:
    async with runtime.db.transaction() as uow:
        return (await uow.session.scalars(select(InboundRecord).order_by(InboundRecord.id))).all()


async def test_acks_are_stored_while_every_worker_is_stuck_and_nothing_stays_pending(
    gated: tuple[Runtime, GatedTriager],
) -> None:
    runtime, triager = gated
    runtime.workers.start()
    await runtime.pipeline.accept(message("first", user="zed"))
    assert await asyncio.to_thread(triager.stuck.wait, 10), "handling is stuck in the triage"

    fresh = await asyncio.gather(
        *(runtime.pipeline.accept(message(f"flood-{n}", user=f"p{n % 50}")) for n in range(FLOOD))
    )

    assert all(fresh), "every event is acked, none waits behind the stuck handling"
    assert runtime.pipeline.store.commits < FLOOD / 4, "stored in group commits, not one by one"
    assert len(await records(runtime)) == FLOOD + 1
    triager.gate.set()
    await runtime.workers.stop()  # what the workers hold goes back
    assert await runtime.workers.drain() >= FLOOD - 1
    statuses = {record.status for record in await records(runtime)}
    assert statuses == {"done"}, "a flood leaves nothing pending"
    assert len(await state.items(runtime)) == FLOOD + 1


async def test_workers_claim_a_few_ahead_in_batches_and_no_more(
    gated: tuple[Runtime, GatedTriager],
) -> None:
    runtime, triager = gated
    for n in range(40):
        await runtime.pipeline.accept(message(f"ahead-{n}", user=f"p{n}"))
    claims: list[int] = []
    claim = runtime.pipeline.claim

    async def counted(*, limit: int, key: tuple[str, str] | None = None) -> Sequence[InboundRecord]:
        found = await claim(limit=limit, key=key)
        claims.append(len(found))
        return found

    runtime.pipeline.claim = counted  # type: ignore[method-assign]
    runtime.workers.start()
    assert await asyncio.to_thread(triager.stuck.wait, 10)
    held = runtime.workers.depth  # in the stuck workers' hands and queued behind them
    for _ in range(500):
        if sum(claims) >= held:
            break
        await asyncio.sleep(0.01)
    working = [r for r in await records(runtime) if r.status == "working"]

    assert len(working) == sum(claims) == held, "claimed ahead, but no more than the queue holds"
    assert len([c for c in claims if c]) <= 3, f"claimed in batches, not one by one: {claims}"
    triager.gate.set()


async def test_one_conversation_in_order_others_alongside(
    database_url: str, clock: FakeClock
) -> None:
    runtime = build_runtime(load_settings(database_url=database_url), clock=clock)
    await prepare(runtime, upgrade=False)
    for key, user in (("a1", "anna"), ("a2", "anna"), ("b1", "ben")):
        await runtime.pipeline.accept(message(key, user=user))

    first = await runtime.pipeline.claim(limit=10)

    assert [r.idempotency_key for r in first] == ["a1", "b1"], "a2 waits for a1"
    assert await runtime.pipeline.claim(limit=10) == []
    for record in first:
        await runtime.pipeline.handle(record)
    [second] = await runtime.pipeline.claim(limit=10)
    assert second.idempotency_key == "a2"
    await runtime.store_engine.dispose()
    await runtime.engine.dispose()


async def test_replicas_claiming_at_once_never_take_the_same_event(
    database_url: str, clock: FakeClock
) -> None:
    runtime = build_runtime(load_settings(database_url=database_url), clock=clock)
    other = build_runtime(load_settings(database_url=database_url), clock=clock)
    await prepare(runtime, upgrade=False)
    for n in range(40):
        await runtime.pipeline.accept(message(f"r{n}", user=f"p{n}"))

    mine, theirs = await asyncio.gather(
        runtime.pipeline.claim(limit=25), other.pipeline.claim(limit=25)
    )

    keys = [r.idempotency_key for r in mine] + [r.idempotency_key for r in theirs]
    assert len(keys) == len(set(keys)) == 40
    for runtime_ in (runtime, other):
        await runtime_.store_engine.dispose()
        await runtime_.engine.dispose()


async def test_the_same_event_twice_at_once_is_stored_once(
    database_url: str, clock: FakeClock
) -> None:
    runtime = build_runtime(load_settings(database_url=database_url), clock=clock)
    await prepare(runtime, upgrade=False)

    fresh = await asyncio.gather(*(runtime.pipeline.accept(message("twice")) for _ in range(2)))

    assert sorted(fresh) == [False, True]
    assert len(await records(runtime)) == 1
    await runtime.store_engine.dispose()
    await runtime.engine.dispose()


class SlowDatabase:
    """The real database behind a gate: commits wait until the test opens it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.gate = asyncio.Event()

    async def add_inbound(self, rows: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
        await self.gate.wait()
        return await self.db.add_inbound(rows)


async def test_too_much_waiting_is_refused_not_slowed(runtime: Runtime, clock: FakeClock) -> None:
    slow = SlowDatabase(runtime.db)
    store = InboundStore(slow, clock, max_waiting=3)  # type: ignore[arg-type]
    in_commit = asyncio.ensure_future(store.accept(message("w0")))
    await asyncio.sleep(0)  # the first commit begins, and waits at the gate
    waiting = [asyncio.ensure_future(store.accept(message(f"w{n}"))) for n in range(1, 4)]
    await asyncio.sleep(0)
    assert store.waiting == 3 and store.overloaded

    with pytest.raises(OverloadedError) as refused:
        await store.accept(message("w4"))

    assert refused.value.retry_after >= 1
    slow.gate.set()
    assert await in_commit and all(await asyncio.gather(*waiting))
    assert not store.overloaded
    assert await store.accept(message("w5")) is True, "room again once stored"


async def test_a_receiving_process_only_stores_and_a_working_one_handles(
    database_url: str, clock: FakeClock
) -> None:
    """Split roles: the process that acks runs no handling (nor delivery, nor scheduler); the
    one that works picks the stored events up from the database."""
    from aiohttp.test_utils import TestServer

    from bot.runtime.app import create_app

    receiving = build_runtime(load_settings(database_url=database_url, role="receive"), clock=clock)
    working = build_runtime(load_settings(database_url=database_url, role="work"), clock=clock)
    await prepare(receiving, upgrade=False)
    event = message("split-1")
    async with TestServer(create_app(receiving)):
        assert await receiving.pipeline.accept(event)
        assert not receiving.workers.running, "a receiving process claims nothing"
        assert [r.status for r in await records(receiving)] == ["pending"]
        async with TestServer(create_app(working)):
            assert working.workers.running
            assert await working.pipeline.wait_handled(event, within=20)
    assert working.workers.handled == 1
    assert [r.status for r in await records(working)] == ["done"]
    assert len(await state.items(working)) == 1


@pytest.fixture
async def held(database_url: str, clock: FakeClock) -> AsyncIterator[tuple[Runtime, asyncio.Event]]:
    """Two workers whose batches wait for a gate: what they hold is claimed, not finished."""
    settings = load_settings(database_url=database_url, workers=2, handling_batch=4)
    runtime = build_runtime(settings, clock=clock)
    await prepare(runtime, upgrade=False)
    gate = asyncio.Event()
    handle_batch = runtime.pipeline.handle_batch
    entered: list[int] = []
    both_in = asyncio.Event()

    async def gated(records: Sequence[InboundRecord]) -> None:
        entered.append(len(records))
        if len(entered) == 2:
            both_in.set()
        await gate.wait()
        await handle_batch(records)

    runtime.pipeline.handle_batch = gated  # type: ignore[method-assign]
    for n in range(20):
        await runtime.pipeline.accept(message(f"stop-{n}", user=f"p{n}"))
    runtime.workers.start()
    await asyncio.wait_for(both_in.wait(), timeout=30)
    yield runtime, gate
    gate.set()
    await runtime.workers.stop()
    await runtime.store_engine.dispose()
    await runtime.engine.dispose()


async def test_stopping_finishes_what_is_claimed_and_gives_back_the_rest(
    held: tuple[Runtime, asyncio.Event],
) -> None:
    runtime, gate = held
    claimed = [r.id for r in await records(runtime) if r.status == "working"]
    assert len(claimed) >= 2

    stopping = asyncio.create_task(runtime.workers.stop(grace_seconds=30))
    gate.set()
    await stopping

    by_status: dict[str, list[int]] = {}
    for record in await records(runtime):
        by_status.setdefault(record.status, []).append(record.id)
        assert record.status == "done" or record.claimed_by is None, "nothing left held"
    assert sorted(by_status["done"]) == sorted(claimed), "what was claimed is finished"
    assert len(by_status["pending"]) == 20 - len(claimed), "the rest is given back at once"
    assert await state.count(runtime, OutboxMessage) == len(claimed)


async def test_stopping_without_grace_gives_everything_back_and_loses_nothing(
    held: tuple[Runtime, asyncio.Event],
) -> None:
    runtime, gate = held

    await runtime.workers.stop(grace_seconds=0)

    assert {r.status for r in await records(runtime)} == {"pending"}
    assert await state.count(runtime, OutboxMessage) == 0, "cut-off handling rolled back"
    gate.set()
    assert await runtime.workers.drain() == 20
    assert await state.count(runtime, OutboxMessage) == 20, "one answer each, none twice"
