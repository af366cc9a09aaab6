"""The playground as a platform of the application: its routes and its inbox sender."""

from __future__ import annotations

from aiohttp import web

from adapters.base import PlatformDeps
from adapters.playground.app import PlaygroundRoutes
from adapters.playground.sender import PLATFORM, PlaygroundSender
from bot.kernel.ports import Sender


class PlaygroundPlatform:
    name = PLATFORM

    def __init__(self, deps: PlatformDeps) -> None:
        self.sender: Sender = PlaygroundSender(deps.db, deps.services.clock)
        self._routes = PlaygroundRoutes(deps.db, deps.inbox, deps.deliver_due, deps.services.clock)

    def mount(self, app: web.Application) -> None:
        self._routes.mount(app)
        app.router.add_get("/", _to_playground)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


async def _to_playground(_: web.Request) -> web.Response:
    raise web.HTTPFound("/playground")


def playground_platform(deps: PlatformDeps) -> PlaygroundPlatform | None:
    return PlaygroundPlatform(deps) if deps.settings.playground else None
