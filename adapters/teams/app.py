"""`POST /api/messages`: the Bot Framework SDK checks the token, then the activity is stored as
a neutral event before Teams gets its answer, and the workers handle it.

Replies never go through a turn context: handlers write them to the outbox, and the delivery
worker sends them through the Bot Connector (see sender.py). So the SDK's turn is not run at
all; an invoke (a card's submit) gets its answer as the response's body.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from botbuilder.integration.aiohttp import (
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.auth import AuthenticationConstants, BotFrameworkAuthentication

from adapters.teams.settings import TeamsSettings
from adapters.teams.tenants import LOOPBACK_HOSTS, local_service_url, reachable_service_url
from adapters.teams.translate import NotForwardableError, to_event
from bot.kernel.errors import OverloadedError
from bot.kernel.i18n import normalise_language, translate
from bot.kernel.payloads import nested_too_deep
from bot.kernel.ports import Inbox
from storage.repositories import Database

log = logging.getLogger(__name__)
ROUTE = "/api/messages"
TokenSource = Callable[[], Awaitable[str | None]]


class _Configuration:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: TeamsSettings, openid_metadata_url: str | None) -> None:
        self.APP_ID = settings.id or ""
        self.APP_PASSWORD = settings.password or ""
        self.APP_TENANTID = settings.tenant_id or ""
        self.APP_TYPE = settings.app_type if settings.id else "MultiTenant"
        if openid_metadata_url:
            # The public cloud's values, with the signing keys read from elsewhere (tests).
            self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = openid_metadata_url
            self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = (
                AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
            )
            self.TO_CHANNEL_FROM_BOT_LOGIN_URL = (
                AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL
            )
            self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = (
                AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
            )
            self.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = openid_metadata_url


def bot_authentication(
    settings: TeamsSettings, *, openid_metadata_url: str | None = None
) -> BotFrameworkAuthentication:
    """Validates inbound tokens against Microsoft's keys (or the given OpenID metadata)."""
    return ConfigurationBotFrameworkAuthentication(_Configuration(settings, openid_metadata_url))


def token_source(settings: TeamsSettings) -> TokenSource:
    """A bearer token for the Bot Connector, from the SDK's credentials; None without app id."""
    if not settings.id:

        async def none() -> str | None:
            return None

        return none
    factory = ConfigurationServiceClientCredentialFactory(_Configuration(settings, None))
    credentials: list[Any] = []

    async def token() -> str | None:
        if not credentials:
            credentials.append(
                await factory.create_credentials(
                    settings.id,
                    AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
                    AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL,
                    True,
                )
            )
        # msal is synchronous: keep it off the event loop.
        return str(await asyncio.to_thread(credentials[0].get_access_token))

    return token


class TeamsEndpoint:
    def __init__(
        self,
        db: Database,
        inbox: Inbox,
        authentication: BotFrameworkAuthentication,
        *,
        require_token: bool,
    ) -> None:
        self._db = db
        self._inbox = inbox
        self._authentication = authentication
        # Without an app id there is nothing to check a token against: every request passes.
        self._require_token = require_token

    def mount(self, app: web.Application) -> None:
        app.router.add_post(ROUTE, self.messages)

    async def messages(self, request: web.Request) -> web.Response:
        if self._inbox.shedding():
            # Teams resends what is not answered 200; better now than after its time-out.
            return _busy()
        if "application/json" not in request.headers.get("Content-Type", ""):
            return _error(415, "expected application/json")
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            return _error(400, "body: not valid JSON")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return _error(400, "body: expected an activity with a type")
        if nested_too_deep(body):
            return _error(400, "body: nested too deep for an activity")
        if not reachable_service_url(body.get("serviceUrl")):
            log.warning("Refused a Teams activity whose serviceUrl is no https URL")
            return _error(400, "serviceUrl: expected an https URL")
        if not self._require_token and not _local_only(request, body):
            log.warning(
                "Refused a Teams request from %s: without MICROSOFT_APP_ID only local "
                "requests with a local serviceUrl are served",
                request.remote,
            )
            return _error(401, "unauthorized: set MICROSOFT_APP_ID to accept Teams' requests")
        try:
            activity = Activity().deserialize(body)
        except Exception as exc:  # msrest raises its own errors, TypeError, ValueError...
            log.info("Refused a malformed Teams activity: %s: %s", type(exc).__name__, exc)
            return _error(400, "body: not a Bot Framework activity")
        try:
            header = request.headers.get("Authorization") if self._require_token else None
            await self._authentication.authenticate_request(activity, header)
        except Exception as exc:  # the SDK raises PermissionError, jwt errors, KeyError...
            log.warning(
                "Refused a Bot Framework request without a valid token: %s: %s",
                type(exc).__name__,
                exc,
            )
            return _error(401, "unauthorized")
        # The token checked, the SDK's turn (14 ms of CPU an activity: a connector client and
        # a turn context built for replies that go through the outbox instead) is skipped: the
        # activity is stored, and an invoke gets its answer as the body, as the turn would.
        try:
            answer = await self.handle(body)
        except OverloadedError:
            return _busy()
        except (TypeError, ValueError, AttributeError) as exc:
            # An activity of an unexpected shape: acknowledged and logged, not a 500.
            log.warning("Ignoring a Teams activity of an unexpected shape: %s", exc)
            answer = {}
        if activity.type == ActivityTypes.invoke:
            return web.json_response(answer, status=200)
        return web.Response(status=200)

    async def handle(self, activity: dict[str, Any]) -> dict[str, Any]:
        """Store and handle the activity; the answer is the body of an invoke's response."""
        try:
            event = to_event(activity)
        except NotForwardableError:
            text = translate(
                normalise_language(activity.get("locale")),
                "Only a message written by a person can be sent to the Product Owner.",
            )
            return {"task": {"type": "message", "value": text}}
        if event is None:
            log.debug("Ignoring Teams %s activity", activity.get("type"))
            return {}
        if not event.conversation.workspace:
            log.warning("Ignoring a Teams activity without a tenant id (%s)", activity.get("id"))
            return {}
        if not await self._inbox.accept(event):
            log.info("Ignoring resent Teams activity %s", event.idempotency_key)
        return {}  # the workers handle it after the answer (naming its sender as on record)


def _local_only(request: web.Request, body: dict[str, Any]) -> bool:
    """Unauthenticated mode is for local testing: a local caller, and replies that stay local
    (else anyone could make the bot post to any URL they name as serviceUrl)."""
    service_url = body.get("serviceUrl")
    local_replies = not isinstance(service_url, str) or local_service_url(service_url)
    return request.remote in LOOPBACK_HOSTS and local_replies


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _busy() -> web.Response:
    return web.json_response(
        {"error": "busy; send it again in a moment"}, status=503, headers={"Retry-After": "1"}
    )
