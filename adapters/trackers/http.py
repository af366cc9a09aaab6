"""What every tracker's REST client shares: one aiohttp session, time-outs, and the HTTP
answers that mean "try again later" (an outage, a 429 with its Retry-After, a time-out)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.kernel.errors import RetryLaterError

TIMEOUT = aiohttp.ClientTimeout(total=20, connect=5)


async def call(
    session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, dict[str, str], Any]:
    """One request: its status, headers and JSON body (None when it has none). A failure that
    may pass raises RetryLaterError; a time-out may have reached the tracker (maybe_sent)."""
    try:
        async with session.request(method, url, timeout=TIMEOUT, **kwargs) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = None
            headers = dict(response.headers)
            status = response.status
    except TimeoutError as exc:
        raise RetryLaterError(f"{method} {url} timed out", maybe_sent=True) from exc
    except (aiohttp.ClientError, asyncio.IncompleteReadError) as exc:
        raise RetryLaterError(f"{method} {url} failed: {exc}") from exc
    if status == 429 or status >= 500:
        raise RetryLaterError(
            f"{method} {url} answered {status}",
            retry_after=retry_after(headers),
            rate_limited=status == 429,
        )
    return status, headers, body


def retry_after(headers: dict[str, str]) -> float | None:
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
