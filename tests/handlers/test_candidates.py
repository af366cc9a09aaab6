"""The duplicate index: kept in step with the database, across replicas, without rescanning."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.app import Runtime, build_runtime, prepare
from bot.clock import FakeClock
from bot.events import ConversationRef, MessageEvent, PersonInfo
from bot.settings import load_settings
from handlers.candidates import SYNC_SECONDS, CandidateIndex
from storage import item_changes
from tests import state
from tests.playground import Playground

FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)
SAME = FEATURE + " Also for credit notes."


def message(key: str, user: str, text: str) -> MessageEvent:
    return MessageEvent(
        conversation=ConversationRef(
            platform="playground", workspace="demo", channel=f"@{user}", user=user
        ),
        sender=PersonInfo(user_id=user),
        text=text,
        idempotency_key=key,
    )


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def other_replica(runtime: Runtime, clock: FakeClock) -> Runtime:
    url = runtime.engine.url.render_as_string(hide_password=False)
    return build_runtime(load_settings(database_url=url), clock=clock)


@contextmanager
def in_another_process() -> Iterator[None]:
    """The other replica's commits are not heard here, as from another process."""
    listeners = item_changes._listeners[:]
    item_changes._listeners.clear()
    try:
        yield
    finally:
        item_changes._listeners[:] = listeners


async def pool_ids(runtime: Runtime) -> list[int]:
    async with runtime.db.read() as uow:
        workspace = await uow.workspaces.get(platform="playground", external_id="demo")
        assert workspace is not None
        model = runtime.services.triage.similarity_model
        pool = await runtime.services.candidates.pool(uow, workspace_id=workspace.id, model=model)
    return [int(i) for i in pool.ids]


async def test_another_replicas_request_is_found_as_the_original(
    runtime: Runtime, clock: FakeClock
) -> None:
    ticks = Ticks()
    runtime.services.candidates = CandidateIndex(monotonic=ticks)
    other = other_replica(runtime, clock)
    await prepare(runtime, upgrade=False)
    await runtime.pipeline.receive(message("m0", "carl", "Hoe vraag ik een parkeerplaats aan?"))

    with in_another_process():  # the first replica's index is already loaded
        await other.pipeline.receive(message("m1", "anna", FEATURE))
    ticks.now += SYNC_SECONDS  # it catches up at its next look
    await runtime.pipeline.receive(message("m2", "ben", SAME))

    first, second = (await state.items(runtime))[1:]
    assert second.duplicate_of_id == first.id, second.reasons
    await other.engine.dispose()
    await other.store_engine.dispose()


async def test_other_replicas_are_read_once_a_second_and_own_changes_at_once(
    runtime: Runtime, clock: FakeClock
) -> None:
    ticks = Ticks()
    runtime.services.candidates = CandidateIndex(monotonic=ticks)
    other = other_replica(runtime, clock)
    await prepare(runtime, upgrade=False)
    await runtime.pipeline.receive(message("m0", "carl", "Hoe vraag ik een parkeerplaats aan?"))
    [own] = await pool_ids(runtime)

    with in_another_process():
        await other.pipeline.receive(message("m1", "anna", FEATURE))
    ticks.now += SYNC_SECONDS / 2
    assert await pool_ids(runtime) == [own]  # not read yet: within the second

    await runtime.pipeline.receive(message("m2", "ben", "De pakbon toont de verkeerde datum."))
    ids = sorted(item.id for item in await state.items(runtime))
    assert await pool_ids(runtime) == [ids[0], ids[2]]  # its own new item, without a read

    ticks.now += SYNC_SECONDS
    assert await pool_ids(runtime) == ids
    await other.engine.dispose()
    await other.store_engine.dispose()


async def test_a_rolled_back_item_never_reaches_the_index(runtime: Runtime) -> None:
    await prepare(runtime, upgrade=False)
    await runtime.pipeline.receive(message("m0", "carl", "Hoe vraag ik een parkeerplaats aan?"))
    [kept] = await pool_ids(runtime)
    async with runtime.db.transaction() as uow:
        item = await uow.backlog.get(workspace_id=1, item_id=kept)
        assert item is not None
    try:
        async with runtime.db.transaction() as uow:
            item = await uow.backlog.get(workspace_id=1, item_id=kept)
            assert item is not None
            item.status = "declined"
            await uow.session.flush()
            raise RuntimeError("the handling failed after the flush")
    except RuntimeError:
        pass
    assert await pool_ids(runtime) == [kept]


async def test_a_declined_item_leaves_the_index(client: Playground, runtime: Runtime) -> None:
    await client.say("anna", FEATURE)
    [item] = await state.items(runtime)
    await client.click("po", "decline", str(item.id), input="Not this quarter.")

    await client.say("ben", SAME)

    second = (await state.items(runtime))[-1]
    assert second.duplicate_of_id is None and second.check_of_id is None
    async with runtime.db.transaction() as uow:
        pool = await runtime.services.candidates.pool(
            uow, workspace_id=item.workspace_id, model=second.embedding_model or ""
        )
    assert [int(i) for i in pool.ids] == [second.id]
