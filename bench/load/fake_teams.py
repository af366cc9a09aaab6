"""A fake Bot Connector for the load benchmark: answers what the bot calls on the activities'
serviceUrl, and records when each message reached a conversation (a stakeholder answered).

    python -m bench.load.fake_teams PORT OUT.jsonl

The serviceUrl to put in the activities is http://127.0.0.1:PORT/teams/. Runs until killed;
every post is appended as it comes, shaped like the fake Slack's records.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from pathlib import Path

from aiohttp import web


def make_app(out: Path) -> web.Application:
    counter = itertools.count(1)
    log = out.open("a", encoding="utf-8", buffering=1)

    async def create(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"id": f"a:created-{next(counter)}"}, status=201)

    async def post(request: web.Request) -> web.Response:
        await request.read()
        conversation = request.match_info["conversation"]
        log.write(json.dumps({"channel": conversation, "at": time.time()}) + "\n")
        return web.json_response({"id": f"1:activity-{next(counter)}"}, status=201)

    async def update(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"id": request.match_info["id"]})

    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.router.add_post("/teams/v3/conversations", create)
    app.router.add_post("/teams/v3/conversations/{conversation}/activities", post)
    app.router.add_put("/teams/v3/conversations/{conversation}/activities/{id}", update)
    return app


if __name__ == "__main__":
    port, out = int(sys.argv[1]), Path(sys.argv[2])
    web.run_app(make_app(out), host="127.0.0.1", port=port, print=None, access_log=None)
