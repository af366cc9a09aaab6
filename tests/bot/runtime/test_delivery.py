"""The outbox worker: delivers, waits out a platform's Retry-After, gives up only at the end,
updates a card only after it went out, and never sends a message twice from two workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.kernel.clock import FakeClock
from bot.kernel.errors import RetryLaterError, UndeliverableError
from bot.kernel.events import ConversationRef
from bot.kernel.outbound import OutboundMessage
from bot.runtime.app import Runtime
from bot.runtime.delivery import DeliveryWorker
from handlers.outbox import new_outbox_row
from storage.db import create_engine, create_sessionmaker
from storage.models import OutboxMessage
from storage.repositories import Database
from tests.conftest import START

TO_ANNA = ConversationRef(platform="fake", workspace="T1", channel="D1", user="anna")


class FakeSender:
    """Records what it was given; fails as told first."""

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.failures = failures or []
        self.sent: list[str] = []
        self.updates: list[tuple[str, str]] = []

    async def send(self, conversation: ConversationRef, message: OutboundMessage) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message.text)
        await asyncio.sleep(0)  # let another worker interleave, as real I/O would
        return f"ts-{len(self.sent)}"

    async def update(
        self, conversation: ConversationRef, delivered_ref: str, message: OutboundMessage
    ) -> None:
        self.updates.append((delivered_ref, message.text))


async def enqueue(runtime: Runtime, text: str, **fields: object) -> int:
    async with runtime.db.transaction() as uow:
        row = new_outbox_row(TO_ANNA, OutboundMessage(text=text), runtime.services.clock.now())
        for name, value in fields.items():
            setattr(row, name, value)
        await uow.outbox.add(row)
        return row.id


async def row(runtime: Runtime, message_id: int) -> OutboxMessage:
    async with runtime.db.transaction() as uow:
        found = await uow.outbox.get(message_id=message_id)
        assert found is not None
        return found


def worker(runtime: Runtime, sender: FakeSender, clock: FakeClock, **kw: object) -> DeliveryWorker:
    return DeliveryWorker(runtime.db, {"fake": sender}, clock, **kw)  # type: ignore[arg-type]


async def test_a_message_is_delivered_and_marked_sent(runtime: Runtime, clock: FakeClock) -> None:
    sender = FakeSender()
    message_id = await enqueue(runtime, "hello")

    assert await worker(runtime, sender, clock).deliver_due() == 1

    assert sender.sent == ["hello"]
    sent = await row(runtime, message_id)
    assert (sent.status, sent.delivered_ref) == ("sent", "ts-1")
    assert await worker(runtime, sender, clock).deliver_due() == 0


async def test_a_429_waits_for_retry_after_then_delivers(
    runtime: Runtime, clock: FakeClock
) -> None:
    sender = FakeSender([RetryLaterError("429 rate limited", retry_after=30)])
    message_id = await enqueue(runtime, "hello")
    delivery = worker(runtime, sender, clock)

    assert await delivery.deliver_due() == 0
    waiting = await row(runtime, message_id)
    assert waiting.status == "pending"
    assert waiting.attempts == 1
    assert waiting.next_attempt_at == clock.now() + timedelta(seconds=30)

    clock.advance(timedelta(seconds=29))
    assert await delivery.deliver_due() == 0
    clock.advance(timedelta(seconds=1))
    assert await delivery.deliver_due() == 1
    assert sender.sent == ["hello"]


async def test_an_outage_is_retried_with_growing_backoff_until_it_gives_up(
    runtime: Runtime, clock: FakeClock
) -> None:
    sender = FakeSender([ConnectionError("down")] * 500)
    message_id = await enqueue(runtime, "hello")
    delivery = worker(runtime, sender, clock, give_up_after=timedelta(hours=2))

    waits = []
    while clock.now() < START + timedelta(hours=2):
        await delivery.deliver_due()
        pending = await row(runtime, message_id)
        if pending.status != "pending":
            break
        assert pending.next_attempt_at > clock.now()
        waits.append(pending.next_attempt_at - clock.now())
        clock.set(pending.next_attempt_at)
    await delivery.deliver_due()

    assert len(waits) > 8, "an outage of two hours is waited out, attempt after attempt"
    assert max(waits) <= timedelta(minutes=5)

    failed = await row(runtime, message_id)
    assert failed.status == "failed"
    assert "down" in (failed.last_error or "")
    assert sender.sent == []


async def test_a_refusal_for_good_is_not_retried(runtime: Runtime, clock: FakeClock) -> None:
    sender = FakeSender([UndeliverableError("channel_not_found")])
    message_id = await enqueue(runtime, "hello")

    await worker(runtime, sender, clock).deliver_due()

    assert (await row(runtime, message_id)).status == "failed"


async def test_an_update_waits_until_its_card_went_out(runtime: Runtime, clock: FakeClock) -> None:
    sender = FakeSender([RetryLaterError("busy", retry_after=10)])
    card = await enqueue(runtime, "card")
    update = await enqueue(runtime, "card, decided", kind="update", updates_id=card)
    delivery = worker(runtime, sender, clock)

    await delivery.deliver_due()
    assert sender.updates == []
    assert (await row(runtime, update)).attempts == 0, "waiting spends no attempt"

    clock.advance(timedelta(seconds=10))
    await delivery.deliver_due()
    clock.advance(timedelta(seconds=1))
    await delivery.deliver_due()

    assert sender.sent == ["card"]
    assert sender.updates == [("ts-1", "card, decided")]


async def test_a_platform_without_adapter_is_retried_not_dropped(
    runtime: Runtime, clock: FakeClock
) -> None:
    message_id = await enqueue(runtime, "hello", platform="elsewhere")

    await worker(runtime, FakeSender(), clock).deliver_due()

    pending = await row(runtime, message_id)
    assert pending.status == "pending"
    assert "no adapter" in (pending.last_error or "")


@pytest.fixture
async def second_database(runtime: Runtime) -> AsyncIterator[Database]:
    """A second connection pool to the same database, as a second replica has."""
    engine = create_engine(str(runtime.engine.url.render_as_string(hide_password=False)))
    yield Database(create_sessionmaker(engine))
    await engine.dispose()


async def test_two_workers_send_each_message_exactly_once(
    runtime: Runtime, clock: FakeClock, second_database: Database
) -> None:
    ids = [await enqueue(runtime, f"message {n}") for n in range(40)]
    first, second = FakeSender(), FakeSender()
    # Batches of 5: each replica claims a batch at a time (SKIP LOCKED on PostgreSQL).
    one = DeliveryWorker(runtime.db, {"fake": first}, clock, batch_size=5)
    two = DeliveryWorker(second_database, {"fake": second}, clock, batch_size=5)

    async def until_done(worker: DeliveryWorker) -> None:
        while await worker.deliver_due():
            pass

    await asyncio.gather(until_done(one), until_done(two))

    assert sorted(first.sent + second.sent) == sorted(f"message {n}" for n in range(40))
    assert len(first.sent + second.sent) == 40
    if runtime.engine.dialect.name == "postgresql":
        assert first.sent and second.sent, "both workers took part"
    async with runtime.db.transaction() as uow:
        statuses = set(
            await uow.session.scalars(select(OutboxMessage.status).where(OutboxMessage.id.in_(ids)))
        )
    assert statuses == {"sent"}


async def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_holder(
    runtime: Runtime, clock: FakeClock, second_database: Database
) -> None:
    message_id = await enqueue(runtime, "slow")
    second = FakeSender()
    other = DeliveryWorker(second_database, {"fake": second}, clock)

    class SlowSender(FakeSender):
        async def send(self, conversation: ConversationRef, message: OutboundMessage) -> str:
            # So slow that the lease runs out and another replica sends it meanwhile.
            clock.advance(timedelta(minutes=6))
            await other.deliver_due()
            return "ts-slow"

    await DeliveryWorker(runtime.db, {"fake": SlowSender()}, clock).deliver_due()

    assert second.sent == ["slow"]
    final = await row(runtime, message_id)
    assert (final.status, final.delivered_ref) == ("sent", "ts-1")


class SlowFirstConversation(FakeSender):
    """Anna's first message waits until Ben's went out: conversations are sent side by side."""

    def __init__(self) -> None:
        super().__init__()
        self.ben_sent = asyncio.Event()

    async def send(self, conversation: ConversationRef, message: OutboundMessage) -> str:
        if message.text == "anna 1":
            await asyncio.wait_for(self.ben_sent.wait(), timeout=10)
        ref = await super().send(conversation, message)
        if conversation.channel == "D2":
            self.ben_sent.set()
        return ref


async def test_conversations_go_side_by_side_and_each_keeps_its_order(
    runtime: Runtime, clock: FakeClock
) -> None:
    to_ben = TO_ANNA.model_copy(update={"channel": "D2", "user": "ben"})
    await enqueue(runtime, "anna 1")
    await enqueue(runtime, "anna 2")
    async with runtime.db.transaction() as uow:
        await uow.outbox.add(new_outbox_row(to_ben, OutboundMessage(text="ben 1"), clock.now()))
    sender = SlowFirstConversation()

    assert await worker(runtime, sender, clock).deliver_due() == 3

    assert sender.sent == ["ben 1", "anna 1", "anna 2"]


async def test_a_message_that_must_wait_holds_back_the_later_ones_of_its_conversation(
    runtime: Runtime, clock: FakeClock
) -> None:
    sender = FakeSender([RetryLaterError("503", retry_after=10)])
    first = await enqueue(runtime, "first")
    second = await enqueue(runtime, "second")
    delivery = worker(runtime, sender, clock)

    assert await delivery.deliver_due() == 0
    assert sender.sent == [], "the second does not overtake the first"
    held = await row(runtime, second)
    assert held.attempts == 0, "waiting behind another costs no attempt"
    assert held.next_attempt_at >= (await row(runtime, first)).next_attempt_at

    clock.advance(timedelta(seconds=10))
    assert await delivery.deliver_due() == 2
    assert sender.sent == ["first", "second"]


async def test_a_failed_mark_is_tried_again_and_the_message_sent_once(
    runtime: Runtime, clock: FakeClock
) -> None:
    sender = FakeSender()
    message_id = await enqueue(runtime, "hello")
    delivery = worker(runtime, sender, clock, mark_retries=(0.0, 0.0))
    write_sent = delivery._write_sent
    failures = [ConnectionError("blip"), ConnectionError("blip")]

    async def flaky(*args: object) -> None:
        if failures:
            raise failures.pop(0)
        await write_sent(*args)  # type: ignore[arg-type]

    delivery._write_sent = flaky  # type: ignore[method-assign]
    await delivery.deliver_due()

    assert sender.sent == ["hello"]
    assert (await row(runtime, message_id)).status == "sent"


async def test_the_pace_allows_a_burst_then_about_one_a_second() -> None:
    from bot.runtime.pacing import BURST, Pacing

    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacing = Pacing(FakeClock(START), monotonic=lambda: now[0], sleep=sleep)
    for _ in range(BURST + 3):
        await pacing.turn(TO_ANNA)
    other = TO_ANNA.model_copy(update={"channel": "D2"})
    await pacing.turn(other)

    assert len(slept) == 3, "the burst goes at once, then each waits its turn"
    assert all(abs(seconds - 1.0) < 1e-9 for seconds in slept)
    assert now[0] == 103.0, "another conversation does not wait for this one"


async def test_a_slow_send_keeps_its_claim_so_another_replica_never_sends_it_too(
    runtime: Runtime, clock: FakeClock
) -> None:
    """The platform is slow (or the machine busy) for longer than the lease: the worker renews
    it while the pass goes on, and another replica leaves the message alone."""
    gate, entered = asyncio.Event(), asyncio.Event()
    naps: asyncio.Queue[None] = asyncio.Queue()
    asleep = [asyncio.Event(), asyncio.Event()]  # before the first renewal, and after it
    naps_taken: list[int] = []

    class SlowSender(FakeSender):
        async def send(self, conversation: ConversationRef, message: OutboundMessage) -> str:
            entered.set()
            await gate.wait()
            return await super().send(conversation, message)

    async def nap(_: float) -> None:
        asleep[min(len(naps_taken), 1)].set()
        naps_taken.append(1)
        await naps.get()

    slow, other = SlowSender(), FakeSender()
    lease = timedelta(seconds=45)
    first = worker(runtime, slow, clock, lease=lease, sleep=nap)
    await enqueue(runtime, "hello")
    sending = asyncio.create_task(first.deliver_due())
    await entered.wait()
    await asleep[0].wait()

    clock.advance(timedelta(seconds=40))
    naps.put_nowait(None)  # a third of the lease has passed: the renewal runs
    await asleep[1].wait()
    clock.advance(timedelta(seconds=10))  # past the first lease, within the renewed one
    assert await worker(runtime, other, clock).deliver_due() == 0

    gate.set()
    assert await sending == 1
    assert (slow.sent, other.sent) == (["hello"], [])


async def test_stopping_lets_the_pass_under_way_finish_and_mark_what_it_sent(
    runtime: Runtime, clock: FakeClock
) -> None:
    gate, entered = asyncio.Event(), asyncio.Event()

    class GatedSender(FakeSender):
        async def send(self, conversation: ConversationRef, message: OutboundMessage) -> str:
            entered.set()
            await gate.wait()
            return await super().send(conversation, message)

    sender = GatedSender()
    message_id = await enqueue(runtime, "hello")
    delivery = worker(runtime, sender, clock)
    running = asyncio.create_task(delivery.run(poll_seconds=60))
    await entered.wait()

    delivery.stop()
    gate.set()
    await asyncio.wait_for(running, timeout=30)

    sent = await row(runtime, message_id)
    assert (sent.status, sent.claimed_until) == ("sent", None), "not left claimed and unmarked"
    assert sender.sent == ["hello"]
