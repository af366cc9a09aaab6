"""The Teams baseline: a bare botbuilder CloudAdapter with a bot that does nothing, served on
aiohttp like Heatshield's endpoint, without an app id (as the benchmark runs Heatshield).
What the Bot Framework SDK costs per activity, with nothing stored.

    python -m bench.load.bare_teams PORT
"""

from __future__ import annotations

import sys

from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication


class _Configuration:
    APP_ID = ""
    APP_PASSWORD = ""
    APP_TENANTID = ""
    APP_TYPE = "MultiTenant"


class Nothing(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        return None


def make_app() -> web.Application:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_Configuration()))
    bot = Nothing()

    async def messages(request: web.Request) -> web.Response:
        response = await adapter.process(request, bot)
        return response or web.Response(status=200)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    web.run_app(make_app(), host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
