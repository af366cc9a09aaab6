"""What every platform adapter is given (PlatformDeps) and what it offers the server (Platform).

An adapter never sees the runtime that composes it: it gets the core settings, the database,
the handlers' services and an inbox (bot.kernel.ports.Inbox) to store what arrives, and hands
back its routes, its sender and its life cycle.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.kernel.ports import Inbox, Sender
from bot.kernel.settings import Settings
from handlers.context import Services
from storage.repositories import Database


@dataclass(frozen=True)
class PlatformDeps:
    settings: Settings
    engine: AsyncEngine  # for libraries that keep tables of their own (Slack's installations)
    db: Database
    services: Services
    inbox: Inbox
    # Deliver what is due in the outbox now (the playground answers in the same request).
    deliver_due: Callable[[], Awaitable[int]]


class Platform(Protocol):
    name: str  # the platform's key in events, conversation references and the outbox
    sender: Sender

    def mount(self, app: web.Application) -> None:
        """Add the platform's HTTP routes."""

    async def start(self) -> None:
        """Open long-lived connections (Socket Mode), once the server runs."""

    async def stop(self) -> None: ...


# Builds the adapter, or None when the platform is not configured.
PlatformFactory = Callable[[PlatformDeps], Platform | None]
