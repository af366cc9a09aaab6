"""Claimed events handled a batch to a transaction: the same outcome as one by one, a second
request of the batch sees the first as its duplicate, and a failure in the batch rolls it back
whole and handles each alone, so nothing is lost, doubled or left in the duplicate index."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from bot.kernel.clock import FakeClock
from bot.kernel.settings import load_settings
from bot.runtime.app import Runtime, build_runtime, prepare
from storage.db import READ_ONLY
from storage.models import InboundRecord, ItemStatus, OutboxMessage
from tests import state
from tests.events import message

OUTAGE = "The checkout page is down for every customer since ten minutes, nobody can pay."
NO_WHY = "Can the login button be orange instead of blue?"
WHY = "Our brand colour is orange; marketing wants a consistent look."


@pytest.fixture
async def runtime(database_url: str, clock: FakeClock) -> AsyncIterator[Runtime]:
    runtime = build_runtime(load_settings(database_url=database_url), clock=clock)
    await prepare(runtime, upgrade=False)
    yield runtime
    await runtime.store_engine.dispose()
    await runtime.engine.dispose()


async def claimed(runtime: Runtime, count: int) -> Sequence[InboundRecord]:
    records = await runtime.pipeline.claim(limit=count)
    assert len(records) == count, "one event of each conversation is claimable at once"
    return records


async def statuses(runtime: Runtime) -> dict[str, str]:
    async with runtime.db.read() as uow:
        rows = (await uow.session.scalars(select(InboundRecord))).all()
    return {row.idempotency_key: row.status for row in rows}


async def answers(runtime: Runtime) -> list[str]:
    async with runtime.db.read() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage))).all()
    return sorted(str(row.conversation["user"]) for row in rows)


async def test_a_batch_is_handled_in_one_commit_with_one_answer_each(runtime: Runtime) -> None:
    for n in range(6):
        await runtime.pipeline.accept(message(f"b-{n}", user=f"p{n}"))
    records = await claimed(runtime, 6)
    commits = 0

    def count_commit(connection: Any) -> None:
        nonlocal commits
        if not connection.get_execution_options().get(READ_ONLY):  # reads (warming) aside
            commits += 1

    engine = runtime.engine.sync_engine
    event.listen(engine, "commit", count_commit)
    try:
        await runtime.pipeline.handle_batch(records)
    finally:
        event.remove(engine, "commit", count_commit)

    assert commits == 1, "the six events commit together"
    assert set((await statuses(runtime)).values()) == {"done"}
    assert await answers(runtime) == [f"p{n}" for n in range(6)], "one answer each"
    assert len(await state.items(runtime)) == 6


async def test_the_second_report_in_a_batch_is_a_duplicate_of_the_first(runtime: Runtime) -> None:
    await runtime.pipeline.accept(message("first", user="anna", text=OUTAGE))
    await runtime.pipeline.accept(message("second", user="ben", text=OUTAGE))

    await runtime.pipeline.handle_batch(await claimed(runtime, 2))

    first, second = sorted(await state.items(runtime), key=lambda item: item.id)
    assert first.duplicate_of_id is None
    assert second.duplicate_of_id == first.id, "written in the same transaction, still found"


async def test_an_event_that_cannot_be_read_fails_alone(runtime: Runtime) -> None:
    for n in range(4):
        await runtime.pipeline.accept(message(f"ok-{n}", user=f"p{n}"))
    async with runtime.db.transaction() as uow:
        await uow.session.execute(
            update(InboundRecord)
            .where(InboundRecord.idempotency_key == "ok-2")
            .values(event={"kind": "message", "nonsense": True})
        )

    await runtime.pipeline.handle_batch(await claimed(runtime, 4))

    assert await statuses(runtime) == {
        "ok-0": "done", "ok-1": "done", "ok-2": "failed", "ok-3": "done",
    }  # fmt: skip
    assert await answers(runtime) == ["p0", "p1", "p3"], "no answer twice after the rollback"


async def test_a_failure_midway_rolls_back_the_batch_and_leaves_no_phantom_duplicate(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n, user in enumerate(("anna", "ben", "carla")):
        await runtime.pipeline.accept(message(f"m-{n}", user=user, text=OUTAGE))
    triage = runtime.services.triage
    real = triage.triage
    calls = 0

    async def fails_once_on_the_third(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise ConnectionResetError("the database went away")
        return await real(*args, **kwargs)

    monkeypatch.setattr(triage, "triage", fails_once_on_the_third)

    await runtime.pipeline.handle_batch(await claimed(runtime, 3))

    assert set((await statuses(runtime)).values()) == {"done"}
    # The first report breaks through to the PO once; the two that repeat it do not.
    assert await answers(runtime) == ["anna", "ben", "carla", "po"], "nothing doubled or lost"
    items = sorted(await state.items(runtime), key=lambda item: item.id)
    assert len(items) == 3, "the rolled-back items are gone"
    assert [item.duplicate_of_id for item in items] == [None, items[0].id, items[0].id]
    async with runtime.db.read() as uow:
        pool = await runtime.services.candidates.pool(
            uow, workspace_id=items[0].workspace_id, model=triage.similarity_model
        )
    assert sorted(pool.ids) == sorted(str(item.id) for item in items), "only committed items"


async def test_an_event_whose_claim_was_lost_is_left_to_its_new_owner(runtime: Runtime) -> None:
    for n in range(3):
        await runtime.pipeline.accept(message(f"l-{n}", user=f"p{n}"))
    records = await claimed(runtime, 3)
    async with runtime.db.transaction() as uow:
        await uow.session.execute(
            update(InboundRecord)
            .where(InboundRecord.idempotency_key == "l-1")
            .values(claimed_by="another-replica")
        )

    await runtime.pipeline.handle_batch(records)

    assert await statuses(runtime) == {"l-0": "done", "l-1": "working", "l-2": "done"}
    assert await answers(runtime) == ["p0", "p2"]


async def test_each_handled_event_is_logged_once_with_its_workspace_and_outcome(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await runtime.pipeline.accept(message("hello", user="anna", text="Thanks!"))
    await runtime.pipeline.accept(message("outage", user="ben", text=OUTAGE))
    await runtime.pipeline.accept(message("again", user="carla", text=OUTAGE))
    triage = runtime.services.triage
    real = triage.triage
    calls = 0

    async def fails_once_on_the_second(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionResetError("the database went away")
        return await real(*args, **kwargs)

    monkeypatch.setattr(triage, "triage", fails_once_on_the_second)
    caplog.set_level("INFO", logger="bot.runtime.pipeline")

    await runtime.pipeline.handle_batch(await claimed(runtime, 3))

    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Handled ")]
    assert len(lines) == 3, "one line each, though the batch was rolled back and handled again"
    by_key = {line.split()[2]: line for line in lines}
    assert set(by_key) == {"hello", "outage", "again"}
    assert all("in workspace " in line and "(Demo)" in line for line in lines)
    assert by_key["hello"].endswith(": small talk")
    first, second = sorted(await state.items(runtime), key=lambda item: item.id)
    assert by_key["outage"].endswith(f"request #{first.id} filed: incident, urgent, broke through")
    assert (
        f"request #{second.id} filed: incident, urgent, duplicate of #{first.id}" in by_key["again"]
    )


async def test_who_has_a_question_open_is_read_once_a_batch_and_answers_still_find_theirs(
    runtime: Runtime,
) -> None:
    """In a batch, the open questions of the workspace are read once; the stakeholder who has
    one has their reply taken as the answer, the others' messages are requests."""
    await runtime.pipeline.accept(message("ask", user="anna", text=NO_WHY))
    await runtime.workers.drain()
    [asked] = await state.items(runtime)
    assert asked.status == "needs_info"
    await runtime.pipeline.accept(message("answer", user="anna", text=WHY))
    for n in range(3):
        await runtime.pipeline.accept(message(f"other-{n}", user=f"p{n}", text=OUTAGE))
    probes = 0

    def count_probe(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        nonlocal probes
        probes += "pending_question IS NOT NULL" in statement

    engine = runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count_probe)
    try:
        await runtime.pipeline.handle_batch(await claimed(runtime, 4))
    finally:
        event.remove(engine, "before_cursor_execute", count_probe)

    assert probes <= 3, "the workspace's open questions once, then anna's item (not four)"
    items = await state.items(runtime)
    answered = next(item for item in items if item.id == asked.id)
    assert answered.status == "queued" and "brand colour" in (answered.request.clarification or "")
    assert len(items) == 4, "the answer is no request; the three others are"


async def test_a_question_asked_earlier_in_the_transaction_is_still_found(
    runtime: Runtime,
) -> None:
    """Who has a question open is read once a transaction; one asked later in the same
    transaction is still found (the transaction's own items are looked at too)."""
    await runtime.pipeline.accept(message("ask", user="anna", text=NO_WHY))
    await runtime.workers.drain()
    [asked] = await state.items(runtime)
    since = runtime.services.clock.now() - timedelta(days=7)
    async with runtime.db.transaction() as uow:
        item = await uow.backlog.by_id(item_id=asked.id)
        assert item is not None
        workspace_id, anna = item.workspace_id, item.request.stakeholder_id
        item.status = ItemStatus.QUEUED  # answered, say
        await uow.session.flush()
        probe = {"person_id": anna, "since": since, "workspace_id": workspace_id}
        assert await uow.backlog.awaiting_answer(**probe) is None

        item.status = ItemStatus.NEEDS_INFO  # and asked again, in the same transaction
        await uow.session.flush()
        assert await uow.backlog.awaiting_answer(**probe) is item
