"""Delivery through the Bot Connector: rate limits and outages are retried, refusals are final."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from adapters.teams.sender import TeamsSender
from bot.kernel.clock import FakeClock
from bot.kernel.errors import RetryLaterError, UndeliverableError
from bot.kernel.events import ConversationRef
from bot.kernel.outbound import OutboundMessage
from bot.runtime.app import Runtime
from storage.models import OutboxMessage
from tests.adapters.teams.conftest import ANNA_CHAT, TENANT, FakeConnector, Teams, activity


async def outbox(runtime: Runtime) -> list[OutboxMessage]:
    async with runtime.db.transaction() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        return list(rows)


async def test_a_429_waits_for_the_retry_after_teams_gives(
    teams: Teams, connector: FakeConnector, runtime: Runtime, clock: FakeClock
) -> None:
    connector.failures = [(429, {"Retry-After": "7"})]

    delivered = await teams.send(activity("conversation_update_personal"))

    assert delivered == 0
    [row] = await outbox(runtime)
    assert row.status == "pending"
    assert row.attempts == 1
    assert row.next_attempt_at == clock.now() + timedelta(seconds=7)
    clock.advance(timedelta(seconds=6))
    assert await runtime.worker.deliver_due() == 0
    clock.advance(timedelta(seconds=1))
    assert await runtime.worker.deliver_due() == 1
    assert len(connector.posts(ANNA_CHAT)) == 2  # the refused try and the delivered one


@pytest.mark.parametrize("status", [412, 502, 504, 500, 503])
async def test_transient_failures_are_retried_with_backoff(
    teams: Teams, connector: FakeConnector, runtime: Runtime, clock: FakeClock, status: int
) -> None:
    connector.failures = [(status, {})]

    await teams.send(activity("conversation_update_personal"))

    [row] = await outbox(runtime)
    assert row.status == "pending"
    assert row.attempts == 1
    assert str(status) in (row.last_error or "")
    wait = row.next_attempt_at - clock.now()
    # Jittered exponential backoff: between half the base and base * 2**attempts.
    assert timedelta(seconds=1) <= wait <= timedelta(seconds=4)
    clock.advance(wait)
    assert await runtime.worker.deliver_due() == 1


@pytest.mark.parametrize("status", [401, 403, 404])
async def test_a_refusal_is_final(
    teams: Teams, connector: FakeConnector, runtime: Runtime, status: int
) -> None:
    connector.failures = [(status, {})]

    await teams.send(activity("conversation_update_personal"))

    [row] = await outbox(runtime)
    assert row.status == "failed"
    assert str(status) in (row.last_error or "")


async def test_an_unreachable_connector_is_retried(runtime: Runtime) -> None:
    sender = TeamsSender(runtime.db)
    conversation = ConversationRef(
        platform="teams",
        workspace=TENANT,
        channel=ANNA_CHAT,
        extra={"serviceUrl": "http://127.0.0.1:9/emea/"},
    )
    try:
        with pytest.raises(RetryLaterError):
            await sender.send(conversation, OutboundMessage(text="hello"))
    finally:
        await sender.close()


async def test_a_person_in_a_tenant_nobody_has_used_yet_cannot_be_reached(
    runtime: Runtime,
) -> None:
    sender = TeamsSender(runtime.db)
    conversation = ConversationRef(
        platform="teams", workspace="new-tenant", channel="@29:1nobody", user="29:1nobody"
    )

    with pytest.raises(UndeliverableError, match="no serviceUrl"):
        await sender.send(conversation, OutboundMessage(text="hello"))


async def test_the_token_goes_with_every_call(runtime: Runtime, connector: FakeConnector) -> None:
    async def token() -> str:
        return "token-from-aad"

    sender = TeamsSender(runtime.db, token=token)
    conversation = ConversationRef(
        platform="teams",
        workspace=TENANT,
        channel=ANNA_CHAT,
        extra={"serviceUrl": connector.service_url},
    )
    try:
        ref = await sender.send(conversation, OutboundMessage(text="hello"))
        await sender.update(conversation, ref, OutboundMessage(text="hello again"))
    finally:
        await sender.close()

    post, put = connector.calls
    assert post.authorization == put.authorization == "Bearer token-from-aad"
    assert post.conversation == ANNA_CHAT
    assert put.activity_id == ref
    assert put.body["text"] == "hello again"


async def test_a_429_is_a_limit_on_the_tenant_and_a_lost_answer_may_have_arrived(
    connector: FakeConnector, runtime: Runtime
) -> None:
    sender = TeamsSender(runtime.db)
    chat = ConversationRef(
        platform="teams",
        workspace=TENANT,
        channel=ANNA_CHAT,
        extra={"serviceUrl": connector.service_url},
    )
    connector.failures = [(429, {"Retry-After": "3"})]
    try:
        with pytest.raises(RetryLaterError) as limited:
            await sender.send(chat, OutboundMessage(text="hello"))
        unreachable = chat.model_copy(update={"extra": {"serviceUrl": "http://127.0.0.1:9/"}})
        with pytest.raises(RetryLaterError) as lost:
            await sender.send(unreachable, OutboundMessage(text="hello"))
    finally:
        await sender.close()

    assert (limited.value.rate_limited, limited.value.retry_after) == (True, 3.0)
    assert lost.value.maybe_sent and not lost.value.rate_limited
