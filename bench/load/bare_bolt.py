"""The baseline: a bare slack-bolt AsyncApp with a no-op listener, served like Heatshield's
(aiohttp, the same request translation). What Slack's own SDK costs, with nothing stored.

    python -m bench.load.bare_bolt PORT SIGNING_SECRET API_URL
"""

from __future__ import annotations

import logging
import sys

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def make_app(secret: str, api_url: str) -> web.Application:
    bolt = AsyncApp(
        client=AsyncWebClient(token="xoxb-bench", base_url=api_url),
        signing_secret=secret,
        logger=logging.getLogger("bare"),
    )

    @bolt.event("message")
    async def nothing() -> None:
        return None

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    port, secret, api_url = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    web.run_app(make_app(secret, api_url), host="127.0.0.1", port=port, print=None, access_log=None)
