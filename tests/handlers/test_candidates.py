"""The duplicate index: kept in step with the database, across replicas, without rescanning."""

from __future__ import annotations

from bot.app import Runtime, build_runtime, prepare
from bot.clock import FakeClock
from bot.events import ConversationRef, MessageEvent, PersonInfo
from bot.settings import load_settings
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


async def test_another_replicas_request_is_found_as_the_original(
    runtime: Runtime, clock: FakeClock
) -> None:
    other = build_runtime(
        load_settings(database_url=runtime.engine.url.render_as_string(hide_password=False)),
        clock=clock,
    )
    await prepare(runtime, upgrade=False)
    await runtime.pipeline.receive(message("m0", "carl", "Hoe vraag ik een parkeerplaats aan?"))

    await other.pipeline.receive(message("m1", "anna", FEATURE))  # the first replica's index is
    await runtime.pipeline.receive(message("m2", "ben", SAME))  # already loaded: it catches up

    first, second = (await state.items(runtime))[1:]
    assert second.duplicate_of_id == first.id, second.reasons
    await other.engine.dispose()
    await other.store_engine.dispose()


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
