"""Teams over real HTTP: activities posted to /api/messages, and a fake Bot Connector at the
activities' serviceUrl that records every reply, update and conversation the bot creates."""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.runtime.app import Runtime, create_app
from handlers.team import TeamSpec, set_team

FIXTURES = Path(__file__).parent / "fixtures"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
BOT = "28:0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
PO = "29:1PetraMm2Nn3Oo4Pp5Qq6Rr7Ss8Tt9Uu0Vv1Ww2Xx3Yy4Zz5Aa6Bb7Cc8Dd9Ee0Ff1Gg"
PO_AAD = "0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b"
ANNA = "29:1AnnaXhSZ3egG5Ve2UaOoEjrOppWz-gl7AQmsXeW-4XS1et5FiZ3_V45othuWHgfY"
ANNA_CHAT = (
    "a:1AnnaChatp0iicaJlVi-_KIYKDDvLi4c2pMZMc8B0bPauUJq9pZ6IHPz"
    "MOrXbWS4g7Wktn1hwl8J3FecCj4cn33DInsp7A"
)
BOB = "29:1BobTnQwE2sRz0aXkLmNoPqRsTuVwXyZ0123456789abcdefGhIjKlMnOpQrStUvW"
BEN = "29:1BenKq8Lm3Nn4Oo5Pp6Qq7Rr8Ss9Tt0Uu1Vv2Ww3Xx4Yy5Zz6Aa7Bb8Cc9Dd0Ee1Ff"
CAROL_AAD = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
CHANNEL_THREAD = "19:c1a7d3e0b9f24a8c8f6e5d4c3b2a1908@thread.tacv2;messageid=1763890500765"
ADAPTIVE = "application/vnd.microsoft.card.adaptive"


def activity(name: str, **changes: Any) -> dict[str, Any]:
    """A captured activity from fixtures/, with top-level fields replaced."""
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    loaded.update(changes)
    return loaded


@dataclass
class Call:
    method: str
    path: str
    conversation: str | None
    activity_id: str | None
    body: dict[str, Any]
    authorization: str | None
    answered_id: str | None = None  # the id the connector gave the new activity


@dataclass
class FakeConnector:
    """The Bot Connector's REST API as Teams serves it, recording every call."""

    calls: list[Call] = field(default_factory=list)
    # Status codes (with headers) to answer the next calls with instead of success.
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    service_url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/emea/v3/conversations", self._create)
        app.router.add_post("/emea/v3/conversations/{conversation}/activities", self._post)
        app.router.add_put("/emea/v3/conversations/{conversation}/activities/{id}", self._put)
        return app

    async def _answer(self, request: web.Request, new_id: str | None) -> web.Response:
        call = Call(
            method=request.method,
            path=request.path,
            conversation=request.match_info.get("conversation"),
            activity_id=request.match_info.get("id"),
            body=await request.json(),
            authorization=request.headers.get("Authorization"),
        )
        self.calls.append(call)
        if self.failures:
            status, headers = self.failures.pop(0)
            body = {"error": {"code": str(status)}}
            return web.json_response(body, status=status, headers=headers)
        call.answered_id = new_id
        return web.json_response({"id": new_id or call.activity_id}, status=201 if new_id else 200)

    async def _create(self, request: web.Request) -> web.Response:
        return await self._answer(request, f"a:created-{next(self._ids)}")

    async def _post(self, request: web.Request) -> web.Response:
        return await self._answer(request, f"1:activity-{next(self._ids)}")

    async def _put(self, request: web.Request) -> web.Response:
        return await self._answer(request, None)

    # What the tests read.
    def posts(self, conversation: str | None = None) -> list[Call]:
        return [
            call
            for call in self.calls
            if call.method == "POST"
            and call.path.endswith("/activities")
            and (conversation is None or call.conversation == conversation)
        ]

    def texts(self, conversation: str) -> list[str]:
        return [text_of(call.body) for call in self.posts(conversation)]

    def created(self) -> list[Call]:
        return [call for call in self.calls if call.path.endswith("/v3/conversations")]

    def updates(self) -> list[Call]:
        return [call for call in self.calls if call.method == "PUT"]


def card_of(body: dict[str, Any]) -> dict[str, Any]:
    [attachment] = body["attachments"]
    assert attachment["contentType"] == ADAPTIVE
    return dict(attachment["content"])


def text_of(body: dict[str, Any]) -> str:
    """Everything a person reads in the activity: its text, or every text of its card."""
    if "attachments" not in body:
        return str(body["text"])
    return json.dumps(card_of(body), ensure_ascii=False)


def submits(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Submit in the card, those inside Action.ShowCard included."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def submit_data(card: dict[str, Any], action_id: str) -> dict[str, Any]:
    for action in submits(card):
        if action["data"]["action_id"] == action_id:
            return dict(action["data"])
    raise AssertionError(f"no {action_id} submit in the card")


@pytest.fixture(autouse=True)
def _no_app_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop runs unauthenticated, as for local testing; auth tests set their own."""
    for name in ("ID", "PASSWORD", "TENANT_ID", "TYPE"):
        monkeypatch.delenv(f"MICROSOFT_APP_{name}", raising=False)


@contextlib.asynccontextmanager
async def serving_connector() -> AsyncIterator[FakeConnector]:
    """A fake Bot Connector on a port of its own, its serviceUrl set."""
    fake = FakeConnector()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.service_url = str(server.make_url("/emea/"))
    try:
        yield fake
    finally:
        await server.close()


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with serving_connector() as fake:
        yield fake


class Teams:
    """Posts activities to the bot as Teams does, and lets the outbox deliver."""

    def __init__(self, http: TestClient, runtime: Runtime, connector: FakeConnector) -> None:  # type: ignore[type-arg]
        self.http = http
        self.runtime = runtime
        self.connector = connector

    async def post(self, body: dict[str, Any], **headers: str) -> Any:
        body = copy.deepcopy(body)
        body["serviceUrl"] = self.connector.service_url
        return await self.http.post("/api/messages", json=body, headers=headers)

    async def send(self, body: dict[str, Any]) -> int:
        """Post the activity, expect Teams' 200, and deliver what the bot wrote."""
        response = await self.post(body)
        assert response.status == 200, await response.text()
        await self.runtime.workers.drain()
        return await self.runtime.worker.deliver_due()


@pytest.fixture
async def teams(runtime: Runtime, connector: FakeConnector) -> AsyncIterator[Teams]:
    async with runtime.db.transaction() as uow:
        await set_team(
            uow,
            TeamSpec(platform="teams", workspace=TENANT, po=PO),
            runtime.services.defaults,
            runtime.services.clock.now(),
        )
    async with TestClient(TestServer(create_app(runtime, background=False))) as http:
        yield Teams(http, runtime, connector)
