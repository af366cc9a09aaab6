"""What the application needs of a chat platform's adapter: its routes, its sender, its life."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from bot.delivery import Sender

if TYPE_CHECKING:
    from bot.app import Runtime


class Platform(Protocol):
    name: str  # the platform's key in events, conversation references and the outbox
    sender: Sender

    def mount(self, app: web.Application) -> None:
        """Add the platform's HTTP routes."""

    async def start(self) -> None:
        """Open long-lived connections (Socket Mode), once the server runs."""

    async def stop(self) -> None: ...


# Builds the adapter from the runtime, or None when the platform is not configured.
PlatformFactory = Callable[["Runtime"], Platform | None]
