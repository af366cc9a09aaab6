"""Socket Mode: with SLACK_APP_TOKEN the bot dials out to Slack over a WebSocket instead of
waiting for HTTP; here the WebSocket is a fake Socket Mode server on a local port."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from adapters.slack.platform import SlackPlatform
from adapters.slack.settings import SlackSettings
from bot.runtime.app import Runtime
from handlers.team import TeamSpec, set_team
from storage.models import InboundRecord
from tests import state
from tests.adapters.slack.conftest import PO, TEAM, TOKEN, FakeSlack, fixture

APP_TOKEN = "xapp-1-A0HEATSHLD-1763890000-0f1e2d3c4b5a"
HELLO = {
    "type": "hello",
    "num_connections": 1,
    "debug_info": {"host": "applink-1", "build_number": 10, "approximate_connection_time": 18060},
    "connection_info": {"app_id": "A0HEATSHLD"},
}


@dataclass
class FakeSocketMode:
    """Sends hello and one envelope when the bot connects; records what the bot sends back."""

    envelope: dict[str, Any]
    received: list[dict[str, Any]] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    acked: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/link", self._link)
        return app

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connected.set()
        await ws.send_str(json.dumps(HELLO))
        await ws.send_str(json.dumps(self.envelope))
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                data = json.loads(message.data)
                self.received.append(data)
                if data.get("envelope_id") == self.envelope["envelope_id"]:
                    self.acked.set()
        return ws


@pytest.fixture
async def socket_server(fake_slack: FakeSlack) -> AsyncIterator[FakeSocketMode]:
    envelope = {
        "envelope_id": "cda4159a-72a5-4744-aba3-4d66eb52682b",
        "payload": fixture("message_im"),
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": 0,
        "retry_reason": "",
    }
    fake = FakeSocketMode(envelope)
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake_slack.ws_url = str(server.make_url("/link")).replace("http://", "ws://")
    yield fake
    await server.close()


async def test_socket_mode_connects_acks_an_envelope_and_handles_it(
    runtime: Runtime,
    fake_slack: FakeSlack,
    socket_server: FakeSocketMode,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Acked means stored: when the inbound is committed, no ack may have gone out yet.
    acks_seen_when_stored: list[int] = []
    accept = runtime.pipeline.accept

    async def accept_and_look(event: Any) -> bool:
        stored = await accept(event)
        acks_seen_when_stored.append(len(socket_server.received))
        return stored

    monkeypatch.setattr(runtime.pipeline, "accept", accept_and_look)
    async with runtime.db.transaction() as uow:
        spec = TeamSpec(platform="slack", workspace=TEAM, po=PO)
        await set_team(uow, spec, runtime.services.defaults, runtime.services.clock.now())
    settings = SlackSettings(bot_token=TOKEN, app_token=APP_TOKEN, api_url=fake_slack.url)
    platform = SlackPlatform(runtime.platform_deps, settings)
    runtime.senders[platform.name] = platform.sender
    try:
        await platform.start()
        await asyncio.wait_for(platform.connected(), timeout=10)
        await asyncio.wait_for(socket_server.acked.wait(), timeout=10)
        await runtime.workers.drain()
        await platform.bot.drain()
        delivered = await runtime.worker.deliver_due()
    finally:
        await platform.stop()

    [opened] = fake_slack.of("apps.connections.open")
    assert opened.authorization == f"Bearer {APP_TOKEN}"
    assert {"envelope_id": socket_server.envelope["envelope_id"]} in socket_server.received
    assert await state.count(runtime, InboundRecord) == 1
    assert acks_seen_when_stored == [0], "stored before the envelope was acknowledged"
    assert delivered == 2  # Anna's acknowledgement and the PO's incident card
    assert "right away" in fake_slack.posts("D0ANNA")[0]["text"]
