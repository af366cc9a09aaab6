"""Where a tenant is reached is stored as its activities are handled: a proactive send after a
restart (or on another replica) finds it without looking through the inbound events, a
serviceUrl that changes wins, and one the endpoint refuses is never stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event

from adapters.teams.sender import TeamsSender
from adapters.teams.tenants import TenantEndpoints
from adapters.teams.translate import to_event
from bot.kernel.clock import FakeClock
from bot.kernel.errors import UndeliverableError
from bot.kernel.events import ConversationRef, InboundEvent
from bot.kernel.outbound import OutboundMessage
from bot.runtime.app import Runtime
from storage.models import InboundRecord, TeamsTenant
from tests.adapters.teams.conftest import (
    BOB,
    BOT,
    PO,
    TENANT,
    FakeConnector,
    Teams,
    activity,
    serving_connector,
)


@pytest.fixture
async def moved() -> AsyncIterator[FakeConnector]:
    """The Bot Connector at another serviceUrl, as when Teams moves a tenant."""
    async with serving_connector() as fake:
        yield fake


async def stored(runtime: Runtime) -> TeamsTenant | None:
    async with runtime.db.read() as uow:
        return await uow.teams_tenants.get(tenant_id=TENANT)


def direct(user: str) -> ConversationRef:
    """A one-to-one chat the message itself says nothing about: a proactive send."""
    return ConversationRef(platform="teams", workspace=TENANT, channel=f"@{user}", user=user)


def from_anna(service_url: str, timestamp: str, activity_id: str) -> InboundEvent:
    body = activity("personal_message", serviceUrl=service_url, timestamp=timestamp, id=activity_id)
    found = to_event(body)
    assert found is not None
    return found


async def test_a_proactive_send_after_a_restart_uses_the_stored_endpoint(
    teams: Teams, connector: FakeConnector, runtime: Runtime, replica: Runtime
) -> None:
    await teams.send(activity("personal_message"))
    endpoint = await stored(runtime)
    assert endpoint is not None
    assert (endpoint.service_url, endpoint.bot_id) == (connector.service_url, BOT)
    # Nothing of the inbound events is left to search, and nothing may search them.
    async with runtime.db.transaction() as uow:
        await uow.session.execute(delete(InboundRecord))
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(replica.engine.sync_engine, "before_cursor_execute", seen)
    sender = TeamsSender(replica.db)  # a new process: no app id, nothing in memory
    try:
        await sender.send(direct(BOB), OutboundMessage(text="Your request is on the backlog."))
    finally:
        await sender.close()
        event.remove(replica.engine.sync_engine, "before_cursor_execute", seen)

    created = connector.created()[-1]
    assert created.body["members"] == [{"id": BOB}]
    assert created.body["bot"] == {"id": BOT}
    assert created.answered_id is not None
    assert connector.texts(created.answered_id) == ["Your request is on the backlog."]
    assert statements and not [s for s in statements if "inbound_events" in s]


async def test_a_changed_service_url_wins(
    teams: Teams,
    connector: FakeConnector,
    moved: FakeConnector,
    runtime: Runtime,
    clock: FakeClock,
) -> None:
    await teams.send(activity("personal_message"))  # the PO's chat is created at the first
    [po_chat] = [call.answered_id for call in connector.created()]
    assert po_chat is not None
    calls_before = len(connector.calls)
    clock.advance(timedelta(minutes=5))
    later = activity(
        "personal_message",
        id="1763890500999",
        timestamp="2026-11-23T09:34:00.0000000Z",
        serviceUrl=moved.service_url,
        text="The export to Excel drops the last column, could that be fixed?",
    )

    response = await teams.http.post("/api/messages", json=later)
    assert response.status == 200
    await runtime.workers.drain()
    await runtime.worker.deliver_due()
    sender = TeamsSender(runtime.db)
    try:
        # The PO's chat was stored with the first serviceUrl; the tenant's new one wins.
        await sender.send(direct(PO), OutboundMessage(text="Time for the review."))
    finally:
        await sender.close()

    endpoint = await stored(runtime)
    assert endpoint is not None and endpoint.service_url == moved.service_url
    assert len(connector.calls) == calls_before
    assert "Time for the review." in moved.texts(po_chat)
    assert moved.created() == []  # the chat it had is used, at the new address


async def test_an_older_activity_handled_late_does_not_bring_back_the_old_endpoint(
    runtime: Runtime, connector: FakeConnector, moved: FakeConnector, clock: FakeClock
) -> None:
    tenants = TenantEndpoints(runtime.db, clock, local_only=True)
    newer = from_anna(moved.service_url, "2026-11-23T09:29:00Z", "2")
    older = from_anna(connector.service_url, "2026-11-23T09:20:00Z", "1")

    assert await tenants.remember(newer)
    assert not await tenants.remember(older)  # retried, and handled after the newer one

    endpoint = await stored(runtime)
    assert endpoint is not None and endpoint.service_url == moved.service_url


async def test_the_same_endpoint_is_not_written_at_every_activity(
    runtime: Runtime, connector: FakeConnector, clock: FakeClock
) -> None:
    tenants = TenantEndpoints(runtime.db, clock, local_only=True)
    first = from_anna(connector.service_url, "2026-11-23T09:20:00Z", "1")
    again = from_anna(connector.service_url, "2026-11-23T09:21:00Z", "2")
    much_later = from_anna(connector.service_url, "2026-11-23T09:35:00Z", "3")
    clock.advance(timedelta(minutes=10))

    assert await tenants.remember(first)
    assert not await tenants.remember(again)
    assert await tenants.remember(much_later)  # when it was last seen is refreshed now and then


@pytest.mark.parametrize(
    ("local_only", "service_url"),
    [
        (True, "https://smba.example.org/internal-admin/"),  # without an app id: local only
        (False, "http://smba.example.org/"),  # plain http off this machine
        (False, "ftp://127.0.0.1/"),
        (False, "https:///no-host"),
        (False, ""),
    ],
)
async def test_a_service_url_the_endpoint_refuses_is_never_stored(
    runtime: Runtime, clock: FakeClock, local_only: bool, service_url: str
) -> None:
    tenants = TenantEndpoints(runtime.db, clock, local_only=local_only)

    assert not await tenants.remember(from_anna(service_url, "2026-11-23T09:20:00Z", "1"))

    assert await stored(runtime) is None


async def test_a_forged_service_url_refused_at_the_door_leaves_nobody_reachable(
    teams: Teams, runtime: Runtime
) -> None:
    body = activity("personal_message", serviceUrl="https://smba.example.org/internal-admin/")

    response = await teams.http.post("/api/messages", json=body)

    assert response.status == 401
    assert await stored(runtime) is None
    sender = TeamsSender(runtime.db)
    try:
        with pytest.raises(UndeliverableError, match="no serviceUrl"):
            await sender.send(direct(BOB), OutboundMessage(text="hello"))
    finally:
        await sender.close()
    assert teams.connector.calls == []


async def test_a_timestamp_in_the_future_counts_as_now(
    runtime: Runtime, connector: FakeConnector, moved: FakeConnector, clock: FakeClock
) -> None:
    """A far-future timestamp cannot pin an endpoint against every later change."""
    tenants = TenantEndpoints(runtime.db, clock, local_only=True)
    assert await tenants.remember(from_anna(connector.service_url, "2099-01-01T00:00:00Z", "1"))
    clock.advance(timedelta(minutes=1))

    assert await tenants.remember(from_anna(moved.service_url, "not a time", "2"))

    endpoint = await stored(runtime)
    assert endpoint is not None and endpoint.service_url == moved.service_url


async def test_two_replicas_storing_one_tenant_at_once_keep_the_later_endpoint(
    runtime: Runtime, replica: Runtime, clock: FakeClock
) -> None:
    """Two replicas handle two activities of a new tenant at the same moment: neither fails
    on the other's row, and the later activity's endpoint is the one kept, whoever commits
    last."""
    now = clock.now()

    async def remember(db_of: Runtime, url: str, seen: timedelta) -> bool:
        async with db_of.db.transaction() as uow:
            return await uow.teams_tenants.remember(
                tenant_id=TENANT, service_url=url, bot_id=None, seen_at=now + seen
            )

    results = await asyncio.gather(
        remember(runtime, "https://smba.example.net/later/", timedelta(seconds=2)),
        remember(replica, "https://smba.example.net/earlier/", timedelta(seconds=1)),
    )

    assert True in results
    row = await stored(runtime)
    assert row is not None and row.service_url == "https://smba.example.net/later/"
