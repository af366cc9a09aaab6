"""Slack as a platform of the application: POST /slack/events, the OAuth install pages for many
workspaces, Socket Mode when SLACK_APP_TOKEN is set, and the outbox's sender."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

from adapters.base import PlatformDeps
from adapters.slack.app import EVENTS_PATH, SlackBot
from adapters.slack.clients import SlackClients
from adapters.slack.sender import SlackSender
from adapters.slack.settings import SlackSettings, load_slack_settings
from adapters.slack.translate import PLATFORM
from adapters.slack.users import PeopleCache
from bot.kernel.ports import Sender

log = logging.getLogger(__name__)
OAUTH_STATE_SECONDS = 600


class SlackPlatform:
    name = PLATFORM

    def __init__(self, deps: PlatformDeps, settings: SlackSettings) -> None:
        self.settings = settings
        self.installations: AsyncSQLAlchemyInstallationStore | None = None
        state_store = None
        if settings.mode == "oauth":
            # The tables are created by the Alembic migration 0002, on the app's own engine.
            self.installations = AsyncSQLAlchemyInstallationStore(
                client_id=settings.client_id or "", engine=deps.engine
            )
            state_store = AsyncSQLAlchemyOAuthStateStore(
                expiration_seconds=OAUTH_STATE_SECONDS, engine=deps.engine
            )
        self.clients = SlackClients(self.token_for, settings.base_url)
        self.bot = SlackBot(
            settings,
            db=deps.db,
            inbox=deps.inbox,
            services=deps.services,
            people=PeopleCache(),
            clients=self.clients,
            installation_store=self.installations,
            state_store=state_store,
        )
        deps.inbox.add_hooks(PLATFORM, self.bot)
        self.sender: Sender = SlackSender(self.clients)
        self.socket: AsyncSocketModeHandler | None = None
        self._connecting: asyncio.Task[None] | None = None

    async def token_for(self, workspace: str) -> str | None:
        """The bot token for a workspace: the one token, or the workspace's installation."""
        if self.installations is None:
            return self.settings.bot_token
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=workspace)
        return bot.bot_token if bot is not None else None

    def mount(self, app: web.Application) -> None:
        if not self.settings.socket_mode:  # in Socket Mode nothing arrives over HTTP
            self.bot.mount(app)

    async def start(self) -> None:
        if not self.settings.socket_mode:
            log.info("Slack: %s accepts events (%s)", EVENTS_PATH, self.settings.mode)
            return
        self.socket = AsyncSocketModeHandler(self.bot.app, self.settings.app_token)
        # Connect in the background: an unreachable Slack must not hold up the server's start.
        self._connecting = asyncio.create_task(self.socket.connect_async())  # type: ignore[no-untyped-call]
        log.info("Slack: connecting in Socket Mode")

    async def connected(self) -> None:
        """Wait for the Socket Mode connection to be made (tests and start-up checks)."""
        if self._connecting is not None:
            await self._connecting

    async def stop(self) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        if self.socket is not None:
            await self.socket.close_async()  # type: ignore[no-untyped-call]
            self.socket = None
        await self.bot.close()
        await self.clients.close()


def slack_platform(deps: PlatformDeps) -> SlackPlatform | None:
    settings = load_slack_settings()
    return SlackPlatform(deps, settings) if settings is not None else None
