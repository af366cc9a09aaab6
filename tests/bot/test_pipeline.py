"""Acked means stored: an inbound is kept before it is handled, redeliveries change nothing, and
an inbound whose handling broke is kept, answered politely, and not lost."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.app import build_runtime, prepare
from bot.clock import FakeClock
from bot.events import ConversationRef, MessageEvent, PersonInfo
from bot.settings import load_settings
from handlers.triage import Candidate, Triager, TriageResult
from storage.models import InboundRecord, PlaygroundMessage
from tests import state

FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)


def message(key: str, text: str = FEATURE, user: str = "anna") -> MessageEvent:
    return MessageEvent(
        conversation=ConversationRef(
            platform="playground", workspace="demo", channel=f"@{user}", user=user
        ),
        sender=PersonInfo(user_id=user),
        text=text,
        idempotency_key=key,
    )


class BrokenTriager(Triager):
    """A triage that fails, as a bug or a broken model would."""

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


async def test_a_failing_handler_keeps_the_inbound_and_apologises(
    database_url: str, clock: FakeClock
) -> None:
    runtime = build_runtime(
        load_settings(database_url=database_url), clock=clock, triager=BrokenTriager()
    )
    await prepare(runtime, upgrade=False)

    await runtime.pipeline.receive(message("k1"))
    await runtime.worker.deliver_due()

    [record] = await inbound_records(runtime)
    assert record.status == "failed"
    assert "model exploded" in (record.error or "")
    assert record.event["text"] == FEATURE
    assert await state.items(runtime) == []
    async with runtime.db.transaction() as uow:
        [apology] = await uow.playground.inbox(workspace="demo", user_id="anna")
        assert isinstance(apology, PlaygroundMessage)
        assert "send it again" in apology.message["text"]
    await runtime.engine.dispose()


async def test_an_inbound_stored_but_never_handled_is_handled_after_a_restart(
    database_url: str, clock: FakeClock
) -> None:
    runtime = build_runtime(load_settings(database_url=database_url), clock=clock)
    await prepare(runtime, upgrade=False)
    # The process died between storing and handling.
    assert await runtime.pipeline.accept(message("k2")) is True
    assert await state.items(runtime) == []

    assert await runtime.pipeline.recover() == 0, "too fresh: maybe still being handled"
    clock.advance(timedelta(minutes=2))
    assert await runtime.pipeline.recover() == 1

    assert len(await state.items(runtime)) == 1
    assert await runtime.pipeline.recover() == 0
    await runtime.engine.dispose()


class FlakyTriager(Triager):
    """Fails once, then works: a passing fault."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def triage(
        self, request: str, earlier: Sequence[Candidate] = (), **options: Any
    ) -> TriageResult:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("passing fault")
        return super().triage(request, earlier, **options)


async def test_a_redelivery_of_a_failed_inbound_handles_it_again(
    database_url: str, clock: FakeClock
) -> None:
    runtime = build_runtime(
        load_settings(database_url=database_url), clock=clock, triager=FlakyTriager()
    )
    await prepare(runtime, upgrade=False)

    assert await runtime.pipeline.receive(message("k3")) is True
    assert await state.items(runtime) == []
    assert await runtime.pipeline.receive(message("k3")) is True, "retried, not ignored"

    assert len(await state.items(runtime)) == 1
    [record] = await inbound_records(runtime)
    assert record.status == "done"
    assert await runtime.pipeline.receive(message("k3")) is False
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
