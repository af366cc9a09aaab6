"""Who a Slack user is (name, time zone, language), from users.info, cached for an hour."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.kernel.events import PersonInfo

log = logging.getLogger(__name__)
TTL_SECONDS = 3600.0
MAX_ENTRIES = 10_000


class PeopleCache:
    def __init__(
        self, *, ttl: float = TTL_SECONDS, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._monotonic = monotonic
        self._entries: dict[tuple[str, str], tuple[float, PersonInfo]] = {}

    async def person(self, client: AsyncWebClient, team: str, user: str) -> PersonInfo:
        """The person's details; just the id when Slack cannot tell now (tried again next time)."""
        key = (team, user)
        cached = self._entries.get(key)
        now = self._monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            response = await client.users_info(user=user, include_locale=True)
        except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
            log.warning("users.info for %s in %s failed: %s", user, team, exc)
            return PersonInfo(user_id=user)
        info = person_info(user, response.get("user") or {})
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (now + self._ttl, info)
        return info

    def cached(self, team: str, user: str) -> PersonInfo:
        """What is known of the person without asking Slack (just the id when nothing is)."""
        cached = self._entries.get((team, user))
        if cached is not None and cached[0] > self._monotonic():
            return cached[1]
        return PersonInfo(user_id=user)

    def forget(self, team: str, user: str) -> None:
        """Drop a cached person (Slack told us they changed: user_change)."""
        self._entries.pop((team, user), None)


def person_info(user: str, data: dict[str, Any]) -> PersonInfo:
    profile = data.get("profile") or {}
    name = (
        profile.get("real_name")
        or data.get("real_name")
        or profile.get("display_name")
        or data.get("name")
        or None
    )
    return PersonInfo(
        user_id=user,
        display_name=name,
        timezone=data.get("tz") or None,
        language=data.get("locale") or None,
    )
