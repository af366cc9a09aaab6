"""Acked means stored: an inbound is kept before it is handled, redeliveries change nothing, and
an inbound whose handling broke is kept, answered politely, and not lost."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.kernel.clock import FakeClock
from bot.kernel.settings import load_settings
from bot.runtime.app import Runtime, build_runtime, prepare
from bot.runtime.inbound import new_row
from bot.runtime.pipeline import LEASE
from handlers.triage import Candidate, Triager, TriageResult
from storage.models import InboundRecord
from tests import state
from tests.events import FEATURE, message


class BrokenTriager(Triager):
    """A triage that fails every time, as a bug or a broken model would."""

    def triage(
        self, request: str, earlier: Sequence[Candidate] = (), **options: Any
    ) -> TriageResult:
        raise RuntimeError("model exploded")


async def inbound_records(runtime: object) -> Sequence[InboundRecord]:
    async with runtime.db.transaction() as uow:  # type: ignore[attr-defined]
        return (await uow.session.scalars(select(InboundRecord))).all()


async def test_a_redelivered_event_creates_nothing_new(database_url: str, clock: FakeClock) -> None:
    runtime = build_runtime(load_settings(database_url=database_url), clock=clock)
    await prepare(runtime, upgrade=False)

    assert await runtime.pipeline.receive(message("slack-Ev001")) is True
    assert await runtime.pipeline.receive(message("slack-Ev001")) is False

    assert len(await state.items(runtime)) == 1
    [record] = await inbound_records(runtime)
    assert record.status == "done"
    await runtime.engine.dispose()


async def inbox(runtime: Runtime, user: str = "anna") -> list[str]:
    async with runtime.db.transaction() as uow:
        rows = await uow.playground.inbox(workspace="demo", user_id=user)
        return [str(row.message["text"]) for row in rows]


class FlakyTriager(Triager):
    """Fails the first ``failures`` times, then works: a passing fault."""

    def __init__(self, failures: int = 1) -> None:
        super().__init__()
        self.failures = failures

    def triage(
        self, request: str, earlier: Sequence[Candidate] = (), **options: Any
    ) -> TriageResult:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("passing fault")
        return super().triage(request, earlier, **options)


async def test_a_passing_failure_is_tried_again_and_the_person_hears_one_answer(
    database_url: str, clock: FakeClock
) -> None:
    runtime = build_runtime(
        load_settings(database_url=database_url), clock=clock, triager=FlakyTriager(2)
    )
    await prepare(runtime, upgrade=False)

    assert await runtime.pipeline.receive(message("k3")) is True
    [record] = await inbound_records(runtime)
    assert (record.status, record.attempts) == ("pending", 1)
    assert "passing fault" in (record.error or "")
    assert record.next_attempt_at > clock.now(), "tried again later, with backoff"
    assert await runtime.pipeline.receive(message("k3")) is False, "a redelivery adds nothing"
    assert await runtime.workers.drain() == 0, "not due yet"

    for _ in range(2):
        clock.advance(timedelta(minutes=5))
        assert await runtime.workers.drain() == 1
    await runtime.worker.deliver_due()

    [record] = await inbound_records(runtime)
    assert (record.status, record.attempts) == ("done", 3)
    assert len(await state.items(runtime)) == 1
    [answer] = await inbox(runtime)
    assert "triage queue" in answer, "one answer, no apology before it"
    await runtime.engine.dispose()


async def test_a_failure_that_never_passes_is_given_up_after_a_day_with_one_apology(
    database_url: str, clock: FakeClock
) -> None:
    runtime = build_runtime(
        load_settings(database_url=database_url), clock=clock, triager=BrokenTriager()
    )
    await prepare(runtime, upgrade=False)

    await runtime.pipeline.receive(message("k1"))
    clock.advance(timedelta(hours=1))
    assert await runtime.workers.drain() == 1
    [record] = await inbound_records(runtime)
    assert record.status == "pending", "an hour of failures: still tried"
    clock.advance(timedelta(hours=24))
    assert await runtime.workers.drain() == 1
    await runtime.worker.deliver_due()

    [record] = await inbound_records(runtime)
    assert (record.status, record.attempts) == ("failed", 3)
    assert "model exploded" in (record.error or "")
    assert record.event["text"] == FEATURE
    assert await state.items(runtime) == []
    [apology] = await inbox(runtime)
    assert "no need to send it again" in apology

    assert await runtime.pipeline.accept(message("k1")) is False, "a redelivery changes nothing"
    assert await runtime.workers.drain() == 0
    await runtime.worker.deliver_due()
    assert len(await inbox(runtime)) == 1, "one answer: the apology, not then the real one"
    await runtime.engine.dispose()


async def test_input_that_can_never_be_handled_is_given_up_at_once(
    database_url: str, clock: FakeClock
) -> None:
    runtime = build_runtime(load_settings(database_url=database_url), clock=clock)
    await prepare(runtime, upgrade=False)
    broken = new_row(message("k9"), clock)
    # stored by a version that wrote nonsense
    broken["event"] = json.dumps({"kind": "message", "text": 42})
    await runtime.db.add_inbound([broken])

    assert await runtime.workers.drain() == 1

    [record] = await inbound_records(runtime)
    assert record.status == "failed" and "ValidationError" in (record.error or "")
    assert await runtime.workers.drain() == 0
    await runtime.engine.dispose()


async def test_an_inbound_stored_but_never_handled_is_handled_by_a_worker(
    database_url: str, clock: FakeClock
) -> None:
    runtime = build_runtime(load_settings(database_url=database_url), clock=clock)
    await prepare(runtime, upgrade=False)
    # The process died between storing and handling.
    assert await runtime.pipeline.accept(message("k2")) is True
    assert await state.items(runtime) == []

    assert await runtime.workers.drain() == 1

    assert len(await state.items(runtime)) == 1
    assert await runtime.workers.drain() == 0
    await runtime.engine.dispose()


async def test_a_claim_whose_worker_died_is_taken_over_after_its_lease(
    database_url: str, clock: FakeClock
) -> None:
    runtime = build_runtime(load_settings(database_url=database_url), clock=clock)
    other = build_runtime(load_settings(database_url=database_url), clock=clock)
    await prepare(runtime, upgrade=False)
    await runtime.pipeline.accept(message("k4"))
    [claimed] = await runtime.pipeline.claim(limit=5)  # and then this replica is killed

    assert await other.workers.drain() == 0, "held by the first replica"
    clock.advance(LEASE + timedelta(seconds=1))
    assert await other.workers.drain() == 1

    await runtime.pipeline.handle(claimed)  # the first replica's late finish changes nothing
    assert len(await state.items(runtime)) == 1
    [record] = await inbound_records(runtime)
    assert record.status == "done" and record.claimed_by == other.pipeline.owner
    await other.engine.dispose()
    await runtime.engine.dispose()


async def test_two_first_messages_of_a_new_person_at_once_are_both_handled(
    database_url: str, clock: FakeClock
) -> None:
    import asyncio

    runtime = build_runtime(load_settings(database_url=database_url), clock=clock)
    await prepare(runtime, upgrade=False)

    await asyncio.gather(
        runtime.pipeline.receive(message("z1", user="zed")),
        runtime.pipeline.receive(
            message("z2", text=FEATURE + " Also for credit notes.", user="zed")
        ),
    )

    assert len(await state.items(runtime)) == 2
    assert {r.status for r in await inbound_records(runtime)} == {"done"}
    await runtime.engine.dispose()
