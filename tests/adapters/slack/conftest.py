"""Slack over real HTTP: requests signed with the real verifier and posted to /slack/events, and a
fake Slack Web API (a local aiohttp server, as bolt-python's mock_web_api_server) that answers like
Slack does and records every call the bot makes."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from adapters.slack.platform import SlackPlatform
from adapters.slack.settings import SlackSettings
from bot.runtime.app import Runtime, create_app
from handlers.team import TeamSpec, set_team

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-1111-2222-heatshield"
TEAM = "T0123ACME"
BOT_USER = "U0BOT"
BOT_ID = "B0HEATSHLD"
PO = "U0PETRA"
ANNA = "U0ANNA"
BEN = "U0BEN"
MALLORY = "U0MALLORY"
PEOPLE = {
    PO: {"real_name": "Petra de Vries", "tz": "Europe/Amsterdam", "locale": "en-GB"},
    ANNA: {"real_name": "Anna Jansen", "tz": "Europe/Amsterdam", "locale": "en-US"},
    BEN: {"real_name": "Ben Bakker", "tz": "Europe/Amsterdam", "locale": "nl-NL"},
    MALLORY: {"real_name": "Mallory", "tz": "Europe/London", "locale": "en-GB"},
}


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return loaded


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    authorization: str | None
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeSlack:
    """Slack's Web API at http://127.0.0.1:<port>/api/, the way slack_sdk talks to it."""

    calls: list[Call] = field(default_factory=list)
    # (status, body, headers) to answer the next calls of a method with instead of success.
    failures: dict[str, list[tuple[int, dict[str, Any], dict[str, str]]]] = field(
        default_factory=dict
    )
    # Messages conversations.history can find, by (channel, ts).
    history: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # Files uploaded, by file id.
    uploads: dict[str, bytes] = field(default_factory=dict)
    # Methods whose calls are held, unanswered, until their event is set.
    held: dict[str, asyncio.Event] = field(default_factory=dict)
    # The methods in the order they were answered; a test adds what it saw meanwhile ("ack").
    timeline: list[str] = field(default_factory=list)
    ws_url: str = ""
    url: str = ""
    installed_token: str = "xoxb-17653672481-19874698323-installed"
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _views: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/upload/{file_id}", self._upload)
        return app

    async def _upload(self, request: web.Request) -> web.Response:
        """Where files.getUploadURLExternal sends the file's bytes."""
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK")

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        raw = await request.text()
        if raw:
            if raw.startswith("{"):
                args.update(json.loads(raw))
            else:
                args.update(dict(parse_qsl(raw)))
        authorization = request.headers.get("Authorization")
        call = Call(method, args, authorization)
        self.calls.append(call)
        if method in self.held:
            await self.held[method].wait()
        self.timeline.append(method)
        queued = self.failures.get(method)
        if queued:
            status, body, headers = queued.pop(0)
            return web.json_response(body, status=status, headers=headers)
        if method == "oauth.v2.access":
            return web.json_response(self._oauth_access(args))
        token = (authorization or "").removeprefix("Bearer ")
        if method == "apps.connections.open":
            if not token.startswith("xapp-"):
                return web.json_response({"ok": False, "error": "invalid_auth"})
            return web.json_response({"ok": True, "url": self.ws_url})
        if not token.startswith("xoxb-"):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        call.answer = self._answer(method, args, token)
        return web.json_response(call.answer)

    def _answer(self, method: str, args: dict[str, Any], token: str) -> dict[str, Any]:
        if method == "auth.test":
            team = "T9TK3CUKW" if token == self.installed_token else TEAM
            return {
                "ok": True,
                "url": "https://acme.slack.com/",
                "team": "Acme",
                "user": "heatshield",
                "team_id": team,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "users.info":
            user = str(args.get("user"))
            if user not in PEOPLE:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": user, "team_id": TEAM, **PEOPLE[user]}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args["users"]).removeprefix("U")}}
        if method == "chat.postMessage":
            channel = str(args["channel"])
            if channel == "C0ARCHIVED":
                return {"ok": False, "error": "channel_not_found"}
            ts = f"17639{next(self._ts):05d}.000100"
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": args["text"]}}
        if method == "chat.update":
            return {"ok": True, "channel": args["channel"], "ts": args["ts"], "text": args["text"]}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):06d}"
            upload_url = self.url.removesuffix("api/") + f"upload/{file_id}"
            return {"ok": True, "upload_url": upload_url, "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = args["files"] if isinstance(args["files"], list) else json.loads(args["files"])
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method in ("views.open", "views.publish"):
            return {"ok": True, "view": {"id": f"V{next(self._views):06d}"}}
        if method in ("conversations.history", "conversations.replies"):
            if "channel" not in args:
                return {"ok": False, "error": "channel_not_found"}
            if str(args.get("include_all_metadata")).lower() in ("true", "1"):
                return {"ok": True, "messages": self._posted(args), "has_more": False}
            found = self.history.get((str(args["channel"]), str(args.get("latest"))))
            return {"ok": True, "messages": [found] if found else [], "has_more": False}
        return {"ok": True}

    def _posted(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """The bot's messages in the channel, newest first, with their metadata (Slack
        returns it with include_all_metadata). This fake's ts are counters, not times, so
        `oldest` is not applied."""
        found = []
        for post in self.posts(str(args["channel"])):
            if post["ts"] is None:
                continue
            metadata = post.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            message = {"type": "message", "ts": post["ts"], "text": post.get("text")}
            if metadata:
                message["metadata"] = metadata
            found.append(message)
        return found[::-1]

    def _oauth_access(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "access_token": self.installed_token,
            "token_type": "bot",
            "scope": "chat:write,commands",
            "bot_user_id": BOT_USER,
            "app_id": "A0HEATSHLD",
            "team": {"name": "Softball", "id": "T9TK3CUKW"},
            "enterprise": None,
            "authed_user": {"id": "U0INSTALLER"},
        }

    # What the tests read.
    def of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """What the bot posted (to the channel), each with the ts Slack gave it."""
        return [
            {**call.args, "ts": call.answer.get("ts")}
            for call in self.of("chat.postMessage")
            if channel is None or call.args["channel"] == channel
        ]

    def texts(self, channel: str) -> list[str]:
        return [everything(post) for post in self.posts(channel)]


def everything(args: dict[str, Any]) -> str:
    """All a person reads in a posted message: its text and every block."""
    return json.dumps([args.get("text"), args.get("blocks")], ensure_ascii=False)


def buttons(args: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = args.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return [
        element
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == "button"
    ]


def button(args: dict[str, Any], action_id: str) -> dict[str, Any]:
    for element in buttons(args):
        if element["action_id"] == action_id:
            return element
    raise AssertionError(f"no {action_id} button in {everything(args)}")


def signed(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with a request: the timestamp and the v0 signature."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    verifier = SignatureVerifier(secret)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": verifier.generate_signature(timestamp=stamp, body=body),
    }


@pytest.fixture(autouse=True)
def _no_slack_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "BOT_TOKEN",
        "SIGNING_SECRET",
        "CLIENT_ID",
        "CLIENT_SECRET",
        "APP_TOKEN",
        "API_URL",
        "REDIRECT_URI",
    ):
        monkeypatch.delenv(f"SLACK_{name}", raising=False)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("/api/"))
    yield fake
    await server.close()


class Slack:
    """Sends the bot what Slack sends, signed, and lets the outbox deliver its answers."""

    def __init__(
        self,
        http: TestClient,
        runtime: Runtime,
        platform: SlackPlatform,
        fake: FakeSlack,  # type: ignore[type-arg]
    ) -> None:
        self.http = http
        self.runtime = runtime
        self.platform = platform
        self.fake = fake

    async def post(self, body: str, content_type: str, **headers: str) -> Any:
        all_headers = {"Content-Type": content_type, **signed(body), **headers}
        return await self.http.post("/slack/events", data=body.encode(), headers=all_headers)

    async def event(self, body: dict[str, Any], **headers: str) -> Any:
        return await self.post(json.dumps(body), "application/json", **headers)

    async def interact(self, payload: dict[str, Any]) -> Any:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def command(self, fields: dict[str, Any]) -> Any:
        return await self.post(urlencode(fields), "application/x-www-form-urlencoded")

    async def dispatch(self, body: dict[str, Any]) -> BoltResponse:
        """The payload through bolt's dispatch as Socket Mode hands it over (a direct message
        too, which over HTTP takes the fast lane)."""
        request = AsyncBoltRequest(mode="socket_mode", body=copy.deepcopy(body))
        return await self.platform.bot.app.async_dispatch(request)

    async def settle(self) -> int:
        """Handle what the requests so far stored, let what they started finish (modals, the
        App Home), then deliver the outbox."""
        await self.runtime.workers.drain()
        await self.platform.bot.drain()
        return await self.runtime.worker.deliver_due()


def click(
    card: dict[str, Any], action_id: str, *, user: str = PO, stamp: str = "1"
) -> dict[str, Any]:
    """The block_actions payload of a click on a button of a message the bot posted."""
    payload = fixture("block_actions")
    element = button(card, action_id)
    payload["user"] = {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM}
    payload["container"]["channel_id"] = card["channel"]
    payload["channel"]["id"] = card["channel"]
    payload["trigger_id"] = f"4711.{stamp}.trigger"
    payload["actions"] = [
        {
            "action_id": element["action_id"],
            "block_id": "item:actions",
            "text": element["text"],
            "value": element["value"],
            "type": "button",
            "action_ts": f"1763890760.{stamp.zfill(6)}",
        }
    ]
    return payload


def select(card: dict[str, Any], value: str, *, user: str = PO) -> dict[str, Any]:
    """The block_actions payload of a choice in the card's static select, as Slack sends it."""
    [(menu, option)] = [
        (element, option)
        for block in card["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == "static_select"
        for option in element["options"]
        if option["value"] == value
    ]
    payload = copy.deepcopy(fixture("block_actions"))
    payload["user"] = {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM}
    payload["container"]["channel_id"] = card["channel"]
    payload["channel"]["id"] = card["channel"]
    payload["actions"] = [
        {
            "type": "static_select",
            "action_id": menu["action_id"],
            "block_id": "item:1:actions",
            "selected_option": option,
            "placeholder": menu["placeholder"],
            "action_ts": "1763890990.000123",
        }
    ]
    return payload


def submission(
    callback_id: str,
    values: dict[str, dict[str, Any]],
    *,
    user: str,
    view_id: str,
    metadata: str = "",
) -> dict[str, Any]:
    payload = fixture("view_submission")
    payload["user"] = {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM}
    payload["view"]["id"] = view_id
    payload["view"]["callback_id"] = callback_id
    payload["view"]["private_metadata"] = metadata
    payload["view"]["state"] = {"values": values}
    return payload


@pytest.fixture
def settings(fake_slack: FakeSlack) -> SlackSettings:
    return SlackSettings(bot_token=TOKEN, signing_secret=SECRET, api_url=fake_slack.url)


@pytest.fixture
async def slack(
    runtime: Runtime, fake_slack: FakeSlack, settings: SlackSettings
) -> AsyncIterator[Slack]:
    async with runtime.db.transaction() as uow:
        await set_team(
            uow,
            TeamSpec(platform="slack", workspace=TEAM, po=PO),
            runtime.services.defaults,
            runtime.services.clock.now(),
        )
    platform = SlackPlatform(runtime.platform_deps, settings)
    runtime.platforms.append(platform)
    runtime.senders[platform.name] = platform.sender
    app = create_app(runtime, background=False)
    async with TestClient(TestServer(app)) as http:
        yield Slack(http, runtime, platform, fake_slack)
    await platform.stop()


def with_event(name: str, event_id: str, **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(fixture(name))
    body["event_id"] = event_id
    body["event"].update(changes)
    return body
