"""Delivery to Slack: chat.postMessage and chat.update through the Web API, for the outbox.

The delivered reference is "channel:ts", all chat.update needs. A conversation "@U…" is a
person's DM by user id: it is opened first (conversations.open), so the reference names the real
D… channel. A 429 is retried after Slack's Retry-After, a 5xx or a broken connection later; an
answer that will never change (a deleted channel, a revoked token) gives the message up.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.clients import SlackClients
from adapters.slack.render import message_payload
from bot.delivery import RetryLaterError, UndeliverableError
from bot.events import ConversationRef
from bot.messages import OutboundMessage

log = logging.getLogger(__name__)

# Slack errors that mean "try again", even though the HTTP status was 200.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class SlackSender:
    def __init__(self, clients: SlackClients) -> None:
        self._clients = clients

    async def send(self, conversation: ConversationRef, message: OutboundMessage) -> str:
        client = await self._client(conversation.workspace)
        channel = conversation.channel
        if channel.startswith("@"):
            opened = await _call(client.conversations_open(users=channel[1:]))
            channel = str(opened["channel"]["id"])
        arguments: dict[str, Any] = {"channel": channel, **message_payload(message)}
        if conversation.thread:
            arguments["thread_ts"] = conversation.thread
        posted = await _call(
            client.chat_postMessage(unfurl_links=False, unfurl_media=False, **arguments)
        )
        if message.image is not None:
            await _upload_chart(client, str(posted["channel"]), message)
        return f"{posted['channel']}:{posted['ts']}"

    async def update(
        self, conversation: ConversationRef, delivered_ref: str, message: OutboundMessage
    ) -> None:
        channel, _, ts = delivered_ref.partition(":")
        if not channel or not ts:
            raise UndeliverableError(f"not a Slack message reference: {delivered_ref!r}")
        client = await self._client(conversation.workspace)
        await _call(client.chat_update(channel=channel, ts=ts, **message_payload(message)))

    async def _client(self, workspace: str) -> AsyncWebClient:
        client = await self._clients.for_team(workspace)
        if client is None:
            raise UndeliverableError(f"Heatshield is not installed in Slack workspace {workspace}")
        return client


async def _upload_chart(client: AsyncWebClient, channel: str, message: OutboundMessage) -> None:
    """A message's chart goes up as a file right after it (Slack shows no inline images).

    The message itself is out already: a failed upload is logged, not retried, so the message
    is never posted twice."""
    assert message.image is not None
    try:
        await client.files_upload_v2(
            channel=channel,
            content=base64.b64decode(message.image.png_base64),
            filename="chart.png",
            title=message.image.alt,
            alt_txt=message.image.alt,
        )
    except (SlackApiError, SlackRequestError, TimeoutError, aiohttp.ClientError) as exc:
        log.warning("Could not upload the chart to %s: %s", channel, exc)


async def _call(request: Awaitable[Any]) -> Any:
    """Await a Web API call, turning Slack's answer into the outbox's two kinds of failure."""
    try:
        return await request
    except SlackApiError as exc:
        raise classify(exc) from exc
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise RetryLaterError(f"Slack unreachable: {type(exc).__name__}: {exc}") from exc


def classify(exc: SlackApiError) -> RetryLaterError | UndeliverableError:
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = getattr(response, "data", None)
    error = str(data.get("error") or "") if isinstance(data, dict) else ""
    if status == 429 or error == "ratelimited":
        headers = getattr(response, "headers", {}) or {}
        return RetryLaterError(f"Slack rate limit ({error or status})", _retry_after(headers))
    if status >= 500 or error in TRANSIENT_ERRORS:
        return RetryLaterError(f"Slack answered {status} {error}".strip())
    return UndeliverableError(f"Slack refused the message: {error or status}")


def _retry_after(headers: Any) -> float:
    for name in ("Retry-After", "retry-after"):
        value = headers.get(name) if hasattr(headers, "get") else None
        if value is not None:
            try:
                return max(float(value), 1.0)
            except (TypeError, ValueError):
                break
    return 30.0
