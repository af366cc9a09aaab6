"""One Web API client per bot token, reused for every call instead of made per message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

TIMEOUT_SECONDS = 30
MAX_CLIENTS = 1_000

# The bot token for a workspace (team id), or None when the workspace is not installed.
TokenSource = Callable[[str], Awaitable[str | None]]


class SlackClients:
    """Clients share one HTTP session, so connections to Slack are kept and reused."""

    def __init__(self, token_for: TokenSource, base_url: str) -> None:
        self._token_for = token_for
        self._base_url = base_url
        self._session: aiohttp.ClientSession | None = None
        self._clients: dict[str, AsyncWebClient] = {}

    async def for_team(self, team: str) -> AsyncWebClient | None:
        token = await self._token_for(team)
        if token is None:
            return None
        client = self._clients.get(token)
        if client is None:
            if len(self._clients) >= MAX_CLIENTS:
                self._clients.clear()  # tokens of workspaces long gone
            # No retry handlers of its own: the outbox retries, with its own backoff.
            client = AsyncWebClient(
                token=token,
                base_url=self._base_url,
                timeout=TIMEOUT_SECONDS,
                session=self._shared_session(),
                retry_handlers=[],
            )
            self._clients[token] = client
        return client

    async def close(self) -> None:
        self._clients.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _shared_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session
