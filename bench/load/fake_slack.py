"""A fake Slack Web API for the load benchmark: answers what the bot calls, and records when
each message reached a person's DM (the moment the stakeholder was answered).

    python -m bench.load.fake_slack PORT OUT.jsonl

Runs until killed (SIGTERM writes nothing more; every post is appended as it comes).
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


def make_app(out: Path) -> web.Application:
    counter = itertools.count(1)
    log = out.open("a", encoding="utf-8", buffering=1)

    async def handle(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.read()
        args: dict[str, Any] = dict(request.query)  # slack_sdk sends GET calls' arguments here
        if request.content_type == "application/json":
            args.update(json.loads(raw or b"{}"))
        else:
            args.update(parse_qsl(raw.decode()))
        return web.json_response(answer(method, args, counter, log))

    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.router.add_route("*", "/api/{method}", handle)
    return app


def answer(method: str, args: dict[str, Any], counter: Any, log: Any) -> dict[str, Any]:
    if method == "auth.test":
        return {"ok": True, "team_id": "T0BENCH", "user_id": "U0BOT", "bot_id": "B0BOT"}
    if method == "users.info":
        user = str(args.get("user"))
        return {"ok": True, "user": {"id": user, "real_name": f"Person {user}",
                                     "tz": "Europe/Amsterdam", "locale": "en-US"}}  # fmt: skip
    if method == "conversations.open":
        return {"ok": True, "channel": {"id": "D" + str(args.get("users"))[1:]}}
    if method == "chat.postMessage":
        channel = str(args.get("channel"))
        log.write(json.dumps({"channel": channel, "at": time.time()}) + "\n")
        return {"ok": True, "channel": channel, "ts": f"{time.time():.6f}.{next(counter)}"}
    return {"ok": True}


if __name__ == "__main__":
    port, out = int(sys.argv[1]), Path(sys.argv[2])
    web.run_app(make_app(out), host="127.0.0.1", port=port, print=None, access_log=None)
