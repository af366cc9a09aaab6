"""Microsoft Teams as a platform of the application: always mounted at /api/messages.

Without MICROSOFT_APP_ID the endpoint runs unauthenticated, for local testing, and says so.
"""

from __future__ import annotations

import logging

from aiohttp import web
from botframework.connector.auth import BotFrameworkAuthentication

from adapters.base import PlatformDeps
from adapters.teams.app import ROUTE, TeamsEndpoint, bot_authentication, token_source
from adapters.teams.sender import TeamsSender
from adapters.teams.settings import TeamsSettings, load_teams_settings
from adapters.teams.tenants import TenantEndpoints
from adapters.teams.translate import PLATFORM
from bot.kernel.ports import Sender

log = logging.getLogger(__name__)


class TeamsPlatform:
    name = PLATFORM

    def __init__(
        self,
        deps: PlatformDeps,
        settings: TeamsSettings,
        *,
        authentication: BotFrameworkAuthentication | None = None,
    ) -> None:
        self.settings = settings
        bot_id = f"28:{settings.id}" if settings.id else None
        self._sender = TeamsSender(deps.db, token=token_source(settings), bot_id=bot_id)
        self.sender: Sender = self._sender
        self._endpoint = TeamsEndpoint(
            deps.db,
            deps.inbox,
            authentication or bot_authentication(settings),
            require_token=settings.authenticated,
        )
        # Each activity's serviceUrl is stored as its tenant's before it is handled.
        self.tenants = TenantEndpoints(
            deps.db, deps.services.clock, local_only=not settings.authenticated
        )
        deps.inbox.add_hooks(PLATFORM, self.tenants)

    def mount(self, app: web.Application) -> None:
        self._endpoint.mount(app)
        app.on_cleanup.append(self._close)

    async def start(self) -> None:
        if self.settings.authenticated:
            log.info(
                "Teams: %s accepts Bot Framework requests for app %s (%s)",
                ROUTE,
                self.settings.id,
                self.settings.app_type,
            )
        else:
            # Not configured: nothing is exposed (only this machine is served), so no warning.
            log.info(
                "Teams: not configured (MICROSOFT_APP_ID is not set); %s serves local testing "
                "only: requests from this machine with a local serviceUrl",
                ROUTE,
            )

    async def stop(self) -> None:
        await self._sender.close()

    async def _close(self, _: web.Application) -> None:
        await self._sender.close()


def teams_platform(deps: PlatformDeps) -> TeamsPlatform:
    return TeamsPlatform(deps, load_teams_settings())
