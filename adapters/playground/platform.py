"""The playground as a platform of the application: its routes and its inbox sender."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from adapters.playground.app import PlaygroundRoutes
from adapters.playground.sender import PLATFORM, PlaygroundSender
from bot.delivery import Sender

if TYPE_CHECKING:
    from bot.app import Runtime


class PlaygroundPlatform:
    name = PLATFORM

    def __init__(self, runtime: Runtime) -> None:
        self.sender: Sender = PlaygroundSender(runtime.db, runtime.services.clock)
        self._routes = PlaygroundRoutes(runtime.db, runtime.pipeline, runtime.worker.deliver_due)

    def mount(self, app: web.Application) -> None:
        self._routes.mount(app)
        app.router.add_get("/", _to_playground)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


async def _to_playground(_: web.Request) -> web.Response:
    raise web.HTTPFound("/playground")


def playground_platform(runtime: Runtime) -> PlaygroundPlatform | None:
    return PlaygroundPlatform(runtime) if runtime.settings.playground else None
