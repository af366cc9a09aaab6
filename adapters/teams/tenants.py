"""Where each tenant is reached: the Bot Connector's serviceUrl and the bot's id its activities
come with, stored (through storage/) as each activity is handled, so that the sender finds
them on every replica and after a restart (a person's first direct message needs them).

Only a serviceUrl the endpoint accepts is stored: https, or plain http on this machine; and
without an app id (unauthenticated, for local testing) only one on this machine.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from adapters.teams.identity import with_known_ids
from adapters.teams.translate import valid_aad
from bot.kernel.clock import Clock
from bot.kernel.events import InboundEvent
from storage.repositories import Database

log = logging.getLogger(__name__)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# While a tenant's endpoint stays the same, when it was last seen is written at most this often
# (not at every activity); an activity older than that is not let to change it back.
REFRESH = timedelta(minutes=10)


def reachable_service_url(value: object) -> bool:
    """Replies go to the activity's serviceUrl: an https URL (the Bot Connector's), or plain
    http to this machine (a local emulator)."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def local_service_url(value: object) -> bool:
    try:
        return isinstance(value, str) and urlsplit(value).hostname in LOOPBACK_HOSTS
    except ValueError:
        return False


class TenantEndpoints:
    """What Teams adds around handling (bot.kernel.ports.InboundHooks): before an activity is
    handled, the endpoint it came with is stored as its tenant's, and its sender (and a
    forward's author) named as the person on record. Both read the database, so both wait
    until after the ack: the ack path stores the activity and nothing else."""

    def __init__(self, db: Database, clock: Clock, *, local_only: bool) -> None:
        self._db = db
        self._clock = clock
        self._local_only = local_only

    async def enrich(self, event: InboundEvent) -> InboundEvent:
        await self.remember(event)
        aad = valid_aad(event.conversation.extra.get("aadObjectId"))
        return await with_known_ids(self._db, event, aad)

    async def handled(self, event: InboundEvent) -> None:
        return None

    async def remember(self, event: InboundEvent) -> bool:
        """Store the event's serviceUrl and bot id as its tenant's, unless they are what is
        stored already or an activity sent later showed another; True when written."""
        tenant = event.conversation.workspace
        extra = event.conversation.extra
        service_url = extra.get("serviceUrl", "")
        if not tenant or not reachable_service_url(service_url):
            return False
        if self._local_only and not local_service_url(service_url):
            return False
        bot_id = extra.get("botId") or None
        seen_at = _sent_at(event, self._clock.now())
        async with self._db.read() as uow:
            stored = await uow.teams_tenants.get(tenant_id=tenant)
        if stored is not None:
            if seen_at < stored.seen_at:
                return False  # an older activity, handled late
            same = stored.service_url == service_url and bot_id in (None, stored.bot_id)
            if same and seen_at - stored.seen_at < REFRESH:
                return False
        async with self._db.transaction() as uow:
            written = await uow.teams_tenants.remember(
                tenant_id=tenant, service_url=service_url, bot_id=bot_id, seen_at=seen_at
            )
        if written and stored is not None and stored.service_url != service_url:
            log.info("Teams tenant %s is reached at %s from now on", tenant, service_url)
        return written


def _sent_at(event: InboundEvent, now: datetime) -> datetime:
    """When Teams sent the activity (its timestamp), never later than now; now without one."""
    stamp = event.raw.get("timestamp")
    if not isinstance(stamp, str):
        return now
    try:
        sent = datetime.fromisoformat(stamp)
        sent = (sent if sent.tzinfo else sent.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return now
    return min(sent, now)
