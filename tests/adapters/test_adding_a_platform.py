"""The README's "Adding a platform", followed as written: a platform of a few lines, added to
adapters.registry.PLATFORMS, receives a message over HTTP, stores it before it answers 200, and
the bot's answer goes out through its sender; nothing in bot/ or handlers/ changes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters import registry
from adapters.base import PlatformDeps
from bot.kernel.clock import FakeClock
from bot.kernel.events import ConversationRef, MessageEvent, PersonInfo
from bot.kernel.outbound import OutboundMessage
from bot.kernel.ports import Inbox, Sender
from bot.kernel.settings import load_settings
from bot.runtime.app import Runtime, build_runtime, create_app, prepare

PLATFORM = "echochat"


class EchoChatSender:
    """The Sender port: what the platform's API would post, kept."""

    def __init__(self) -> None:
        self.posted: list[tuple[ConversationRef, OutboundMessage]] = []

    async def send(self, conversation: ConversationRef, message: OutboundMessage) -> str:
        self.posted.append((conversation, message))
        return f"post-{len(self.posted)}"

    async def update(
        self, conversation: ConversationRef, delivered_ref: str, message: OutboundMessage
    ) -> None:
        self.posted.append((conversation, message))


def translate(body: dict[str, str]) -> MessageEvent:
    user = body["user"]
    return MessageEvent(
        conversation=ConversationRef(
            platform=PLATFORM, workspace=body["team"], channel=f"dm-{user}", user=user
        ),
        sender=PersonInfo(user_id=user, display_name=body.get("name")),
        text=body["text"],
        idempotency_key=body["id"],
    )


class EchoChatPlatform:
    name = PLATFORM

    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox
        self.sender: Sender = EchoChatSender()

    def mount(self, app: web.Application) -> None:
        app.router.add_post("/echochat/events", self.events)

    async def events(self, request: web.Request) -> web.Response:
        if self._inbox.shedding():
            return web.Response(status=503, headers={"Retry-After": "1"})
        event = translate(await request.json())
        await self._inbox.accept(event)  # stored before the 200
        return web.Response(status=200)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


def echochat_platform(deps: PlatformDeps) -> EchoChatPlatform | None:
    return EchoChatPlatform(deps.inbox)


@pytest.fixture
async def with_echochat(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Runtime]:
    monkeypatch.setattr(registry, "PLATFORMS", (*registry.PLATFORMS, echochat_platform))
    runtime = build_runtime(load_settings(database_url=database_url), clock=clock)
    await prepare(runtime, upgrade=False)
    yield runtime
    await runtime.store_engine.dispose()
    await runtime.engine.dispose()


async def test_a_platform_added_as_the_readme_says_carries_a_request_both_ways(
    with_echochat: Runtime,
) -> None:
    runtime = with_echochat
    [platform] = [p for p in runtime.platforms if p.name == PLATFORM]
    app = create_app(runtime, background=False)
    async with TestClient(TestServer(app)) as http:
        body = {
            "id": "evt-1",
            "team": "T-echo",
            "user": "u-anna",
            "name": "Anna",
            "text": "The invoice export has been failing since this morning, nobody can bill.",
        }
        response = await http.post("/echochat/events", json=body)
        again = await http.post("/echochat/events", json=body)  # a redelivery
    assert (response.status, again.status) == (200, 200)

    assert await runtime.workers.drain() == 1
    await runtime.worker.deliver_due()

    sender = platform.sender
    assert isinstance(sender, EchoChatSender)
    [(conversation, message)] = [
        (c, m) for c, m in sender.posted if c.user == "u-anna"
    ]  # the stakeholder's acknowledgement, in her own conversation
    assert conversation.channel == "dm-u-anna"
    # An incident: she is told at once that it went to the PO (triaged, stored, delivered).
    assert message.text.startswith("Thanks, Anna.")
    assert "passed it to the PO right away" in message.text
