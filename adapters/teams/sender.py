"""Delivery to Teams: the Bot Connector REST API at the conversation's serviceUrl.

Posts go to `{serviceUrl}/v3/conversations/{id}/activities`, updates put the activity in place.
A person the bot has no one-to-one chat with yet gets one (`POST {serviceUrl}/v3/conversations`,
which returns the existing chat when there is one). The serviceUrl is the tenant's as its latest
activity gave it (stored by tenants.py, read through storage/), else the conversation's own.
429, 412, 502 and 504 (any 5xx) are retried after the Retry-After Teams gives, or with backoff.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from adapters.teams.render import activity
from adapters.teams.translate import DIRECT_PREFIX, PLATFORM
from bot.kernel.errors import RetryLaterError, UndeliverableError
from bot.kernel.events import ConversationRef
from bot.kernel.outbound import OutboundMessage
from storage.models import Person
from storage.repositories import Database, UnitOfWork

log = logging.getLogger(__name__)
RETRYABLE = frozenset({408, 412, 429})
REFUSED = frozenset({400, 401, 403, 404, 410})
TIMEOUT = aiohttp.ClientTimeout(total=30)
TokenSource = Callable[[], Awaitable[str | None]]


async def no_token() -> str | None:
    return None


@dataclass(frozen=True)
class Endpoint:
    """Where the tenant's latest activity came from (storage.models.TeamsTenant)."""

    service_url: str | None = None
    bot_id: str | None = None


@dataclass(frozen=True)
class Target:
    service_url: str
    conversation_id: str

    def activities(self, activity_id: str | None = None) -> str:
        conversation = quote(self.conversation_id, safe="")
        url = f"{self.service_url.rstrip('/')}/v3/conversations/{conversation}/activities"
        return f"{url}/{quote(activity_id, safe='')}" if activity_id else url


class TeamsSender:
    # Teams limits messages per conversation (a few a second): the outbox keeps to a pace.
    paced = True

    def __init__(
        self, db: Database, *, token: TokenSource = no_token, bot_id: str | None = None
    ) -> None:
        self._db = db
        self._token = token
        self._bot_id = bot_id  # "28:<app id>" when an app id is configured
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, conversation: ConversationRef, message: OutboundMessage) -> str:
        target = await self._target(conversation)
        answer = await self._call("POST", target.activities(), activity(message))
        activity_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(activity_id, str) or not activity_id:
            raise RetryLaterError("the Bot Connector answered without an activity id")
        return activity_id

    async def update(
        self, conversation: ConversationRef, delivered_ref: str, message: OutboundMessage
    ) -> None:
        target = await self._target(conversation)
        body = {**activity(message), "id": delivered_ref}
        await self._call("PUT", target.activities(delivered_ref), body)

    async def _target(self, conversation: ConversationRef) -> Target:
        """Where the message goes: at the tenant's serviceUrl as its latest activity gave it
        (it may have changed since the conversation was stored), else the conversation's."""
        direct = conversation.channel.startswith(DIRECT_PREFIX)
        async with self._db.read() as uow:
            tenant = await uow.teams_tenants.get(tenant_id=conversation.workspace)
            stored = await self._stored_direct(uow, conversation) if direct else None
        known = Endpoint(tenant.service_url, tenant.bot_id) if tenant is not None else Endpoint()
        if not direct:
            service_url = known.service_url or conversation.extra.get("serviceUrl")
            if not service_url:
                raise UndeliverableError(f"no serviceUrl for {conversation.channel}")
            return Target(service_url, conversation.channel)
        if stored is not None and not stored.channel.startswith(DIRECT_PREFIX):
            service_url = (
                known.service_url
                or stored.extra.get("serviceUrl")
                or conversation.extra.get("serviceUrl")
            )
            if service_url:
                return Target(service_url, stored.channel)
        return await self._new_direct(conversation, known)

    async def _new_direct(self, conversation: ConversationRef, known: Endpoint) -> Target:
        """The person's one-to-one chat, created (and stored) now."""
        member = conversation.channel.removeprefix(DIRECT_PREFIX)
        service_url = known.service_url or conversation.extra.get("serviceUrl")
        bot_id = self._bot_id or conversation.extra.get("botId") or known.bot_id
        if not service_url or not bot_id:
            raise UndeliverableError(
                f"no serviceUrl known for tenant {conversation.workspace}: nobody there has "
                "talked to the bot yet"
            )
        tenant = conversation.workspace
        account: dict[str, str] = {"id": member}
        if not member.startswith(("29:", "8:")):
            account["aadObjectId"] = member  # an AAD object id, as `team set` accepts it
        body = {
            "isGroup": False,
            "bot": {"id": bot_id},
            "members": [account],
            "tenantId": tenant,
            "channelData": {"tenant": {"id": tenant}},
        }
        answer = await self._call("POST", f"{service_url.rstrip('/')}/v3/conversations", body)
        conversation_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(conversation_id, str) or not conversation_id:
            raise RetryLaterError("the Bot Connector created no conversation id")
        await self._remember_direct(conversation, conversation_id, service_url, bot_id)
        return Target(service_url, conversation_id)

    async def _stored_direct(
        self, uow: UnitOfWork, conversation: ConversationRef
    ) -> ConversationRef | None:
        """The person's one-to-one chat as stored."""
        person = await self._person(uow, conversation)
        if person is None or not person.direct_conversation:
            return None
        return ConversationRef.model_validate(person.direct_conversation)

    async def _remember_direct(
        self, conversation: ConversationRef, conversation_id: str, service_url: str, bot_id: str
    ) -> None:
        async with self._db.transaction() as uow:
            person = await self._person(uow, conversation)
            if person is None:
                return
            current = person.direct_conversation or {}
            if current and not str(current.get("channel", "")).startswith(DIRECT_PREFIX):
                return  # a real chat was remembered meanwhile
            extra = {
                "serviceUrl": service_url,
                "botId": bot_id,
                "tenantId": conversation.workspace,
                "conversationType": "personal",
            }
            person.direct_conversation = ConversationRef(
                platform=PLATFORM,
                workspace=conversation.workspace,
                channel=conversation_id,
                user=person.platform_user_id,
                extra=extra,
            ).model_dump(mode="json")

    @staticmethod
    async def _person(uow: UnitOfWork, conversation: ConversationRef) -> Person | None:
        user = conversation.user or conversation.channel.removeprefix(DIRECT_PREFIX)
        workspace = await uow.workspaces.get(platform=PLATFORM, external_id=conversation.workspace)
        if workspace is None:
            return None
        return await uow.people.get(workspace_id=workspace.id, user_id=user)

    async def _call(self, method: str, url: str, body: dict[str, Any]) -> Any:
        headers = {"Content-Type": "application/json"}
        token = await self._token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        try:
            async with self._session.request(method, url, json=body, headers=headers) as response:
                status = response.status
                retry_after = _retry_after(response.headers.get("Retry-After"))
                text = await response.text()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise RetryLaterError(
                f"Bot Connector unreachable: {type(exc).__name__}", maybe_sent=method == "POST"
            ) from exc
        if status in RETRYABLE or status >= 500:
            raise RetryLaterError(
                f"Bot Connector {method} {status}",
                retry_after=retry_after,
                rate_limited=status == 429,
            )
        if status in REFUSED or status >= 400:
            raise UndeliverableError(f"Bot Connector {method} {status}: {text[:300]}")
        try:
            return json.loads(text) if text.strip() else {}
        except ValueError:
            return {}


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(1.0, min(seconds, 3600.0))  # "0" would retry at once and again and again
