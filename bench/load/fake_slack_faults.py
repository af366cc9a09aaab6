"""A fake Slack Web API for the fault suite: answers like Slack, can be told to answer 503 or 429
for a while, keeps the bot's posts (with their metadata, for conversations.history) and records
each one to a file as it comes.

    python -m bench.load.fake_slack_faults PORT OUT.jsonl

POST /control {"mode": "ok" | "503" | "429", "retry_after": 2} switches how chat.postMessage is
answered. Runs until killed.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from bench.load import fake_slack


class FakeSlack:
    def __init__(self, out: Path) -> None:
        self.log = out.open("a", encoding="utf-8", buffering=1)
        self.counter = itertools.count(1)
        self.mode = "ok"
        self.retry_after = 2
        self.posts: dict[str, list[dict[str, Any]]] = {}

    def app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post("/control", self.control)
        app.router.add_route("*", "/api/{method}", self.handle)
        return app

    async def control(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.mode = str(body.get("mode", "ok"))
        self.retry_after = int(body.get("retry_after", 2))
        return web.json_response({"ok": True})

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.read()
        args: dict[str, Any] = dict(request.query)  # slack_sdk sends GET calls' arguments here
        if request.content_type == "application/json":
            args.update(json.loads(raw or b"{}"))
        else:
            args.update(parse_qsl(raw.decode()))
        if method == "chat.postMessage" and self.mode != "ok":
            self.record(args, refused=self.mode)
            if self.mode == "429":
                headers = {"Retry-After": str(self.retry_after)}
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers=headers
                )
            return web.json_response({"ok": False, "error": "service_unavailable"}, status=503)
        return web.json_response(self.answer(method, args))

    def record(self, args: dict[str, Any], *, refused: str | None = None, ts: str = "") -> None:
        metadata = args.get("metadata") or {}
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        key = (metadata.get("event_payload") or {}).get("key")
        entry = {"channel": args.get("channel"), "key": key, "at": time.time(), "ts": ts}
        if refused:
            entry["refused"] = refused
        self.log.write(json.dumps(entry) + "\n")

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            channel = str(args.get("channel"))
            ts = f"{time.time():.0f}.{next(self.counter):06d}"
            self.record(args, ts=ts)
            metadata = args.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            posted = {"type": "message", "ts": ts, "text": args.get("text"), "metadata": metadata}
            self.posts.setdefault(channel, []).append(posted)
            return {"ok": True, "channel": channel, "ts": ts}
        if method in ("conversations.history", "conversations.replies"):
            found = self.posts.get(str(args.get("channel")), [])
            return {"ok": True, "messages": found[::-1], "has_more": False}
        return fake_slack.answer(method, args, self.counter, self.log)  # the rest as usual


if __name__ == "__main__":
    port, out = int(sys.argv[1]), Path(sys.argv[2])
    fake = FakeSlack(out)
    web.run_app(fake.app(), host="127.0.0.1", port=port, print=None, access_log=None)
