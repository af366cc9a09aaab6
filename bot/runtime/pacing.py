"""How fast the outbox may send: each conversation at the platforms' pace, and a whole
workspace held back while the platform has answered 429.

Slack takes about one message a second per channel (short bursts allowed) and Teams a few per
conversation; going faster only earns 429s. A 429 is the platform saying "not now" for the
workspace's calls, so every message to that workspace waits for its Retry-After, not only the
one that was refused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.kernel.clock import Clock
from bot.kernel.events import ConversationRef

BURST = 5
PROBE_WAIT = timedelta(seconds=1)
PER_SECOND = 1.0
# Conversations whose turns are all back are forgotten once this many are remembered.
REMEMBERED = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: float  # time.monotonic()


def destination(conversation: ConversationRef) -> tuple[str, str]:
    """What a platform's rate limit covers: the app's calls into one workspace (tenant)."""
    return conversation.platform, conversation.workspace


def _conversation(conversation: ConversationRef) -> tuple[str, str, str]:
    return conversation.platform, conversation.workspace, conversation.channel


class Pacing:
    """Shared by a replica's deliveries. Pauses follow the injected clock, like the outbox's
    retry times; the pace is real time, since it is the platform's."""

    def __init__(
        self,
        clock: Clock,
        *,
        burst: int = BURST,
        per_second: float = PER_SECOND,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._burst = burst
        self._rate = per_second
        self._monotonic = monotonic
        self._sleep = sleep
        self._paused: dict[tuple[str, str], datetime] = {}
        # After a pause, one message goes first to see whether the limit has passed.
        self._probing: set[tuple[str, str]] = set()
        self._probe_out: set[tuple[str, str]] = set()
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}

    def pause(self, conversation: ConversationRef, seconds: float) -> None:
        """The platform answered 429: nothing goes to that workspace for `seconds`."""
        until = self._clock.now() + timedelta(seconds=seconds)
        key = destination(conversation)
        self._paused[key] = max(until, self._paused.get(key, until))
        self._probing.add(key)
        self._probe_out.discard(key)

    def paused_for(self, conversation: ConversationRef) -> timedelta | None:
        """How long the conversation's workspace is still paused; None when it is not."""
        key = destination(conversation)
        until = self._paused.get(key)
        if until is not None:
            left = until - self._clock.now()
            if left > timedelta(0):
                return left
            del self._paused[key]
        if key not in self._probing:
            return None
        if key in self._probe_out:
            return PROBE_WAIT  # the first message after the pause has not come back yet
        self._probe_out.add(key)
        return None

    def sent(self, conversation: ConversationRef) -> None:
        """A message went out (or failed otherwise than by a 429): the limit has passed."""
        key = destination(conversation)
        self._probing.discard(key)
        self._probe_out.discard(key)

    async def turn(self, conversation: ConversationRef) -> None:
        """Wait (if need be) until a message may go to the conversation, and take that turn:
        bursts of a few, then about one a second."""
        bucket = self._refilled(_conversation(conversation))
        if bucket.tokens < 1:
            await self._sleep((1 - bucket.tokens) / self._rate)
            bucket = self._refilled(_conversation(conversation))
        bucket.tokens = max(0.0, bucket.tokens - 1)

    def _refilled(self, key: tuple[str, str, str]) -> _Bucket:
        now = self._monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= REMEMBERED:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(float(self._burst), now)
            return bucket
        bucket.tokens = min(float(self._burst), bucket.tokens + (now - bucket.at) * self._rate)
        bucket.at = now
        return bucket

    def _forget_full(self, now: float) -> None:
        full = self._burst / self._rate
        for key, bucket in list(self._buckets.items()):
            if now - bucket.at >= full:
                del self._buckets[key]
