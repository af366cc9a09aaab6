"""What every tracker's REST client shares: one aiohttp session, time-outs, and the HTTP
answers that mean "try again later" (an outage, a 429 with its Retry-After, a time-out, a
gateway's time-out)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from typing import Any

import aiohttp
from multidict import CIMultiDict

from bot.kernel.errors import RetryLaterError

TIMEOUT = aiohttp.ClientTimeout(total=20, connect=5)
MAX_WAIT = 3600.0
Headers = Mapping[str, str]  # case-insensitive, as HTTP's are


async def call(
    session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, Headers, Any]:
    """One request: its status, headers and JSON body (None when it has none). A failure that
    may pass raises RetryLaterError; a time-out may have reached the tracker (maybe_sent)."""
    try:
        async with session.request(method, url, timeout=TIMEOUT, **kwargs) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = None
            headers = CIMultiDict(response.headers)
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
            # A gateway that gave up waiting (502, 504) may have let the write through.
            maybe_sent=method != "GET" and status in (502, 504),
        )
    return status, headers, body


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The tracker's Retry-After in seconds, within an hour (a NaN or a huge one is no wait
    to honour)."""
    value = headers.get("Retry-After")
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    if seconds is None or math.isnan(seconds):
        return None
    return min(MAX_WAIT, max(0.0, seconds))
