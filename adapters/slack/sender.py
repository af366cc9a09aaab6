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
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.clients import SlackClients
from adapters.slack.render import message_payload
from bot.kernel.errors import RetryLaterError, UndeliverableError
from bot.kernel.events import ConversationRef
from bot.kernel.outbound import OutboundMessage

log = logging.getLogger(__name__)
METADATA_TYPE = "heatshield_outbox"

# Slack errors that mean "try again", even though the HTTP status was 200.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class SlackSender:
    # About one message a second per channel: the outbox keeps to that pace.
    paced = True

    def __init__(self, clients: SlackClients) -> None:
        self._clients = clients

    async def send(self, conversation: ConversationRef, message: OutboundMessage) -> str:
        client = await self._client(conversation.workspace)
        channel = await _channel(client, conversation)
        arguments: dict[str, Any] = {"channel": channel, **message_payload(message)}
        if conversation.thread:
            arguments["thread_ts"] = conversation.thread
        if message.delivery_key:
            # Kept with the message, so a send whose answer was lost can be found (find).
            arguments["metadata"] = {
                "event_type": METADATA_TYPE,
                "event_payload": {"key": message.delivery_key},
            }
        posted = await _call(
            client.chat_postMessage(unfurl_links=False, unfurl_media=False, **arguments),
            maybe_sent=True,
        )
        if message.image is not None:
            await _upload_chart(client, str(posted["channel"]), message)
        return f"{posted['channel']}:{posted['ts']}"

    async def find(
        self, conversation: ConversationRef, message: OutboundMessage, since: datetime
    ) -> str | None:
        """The message, if it is in the conversation already: the bot's messages since it was
        written carry their delivery key in their metadata."""
        if not message.delivery_key:
            return None
        client = await self._client(conversation.workspace)
        channel = await _channel(client, conversation)
        window: dict[str, Any] = {
            "channel": channel,
            "oldest": f"{since.timestamp() - 60:.6f}",
            "include_all_metadata": True,
            "limit": 200,
        }
        if conversation.thread:
            found = await _call(client.conversations_replies(ts=conversation.thread, **window))
        else:
            found = await _call(client.conversations_history(**window))
        for posted in found.get("messages") or []:
            metadata = posted.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == METADATA_TYPE and payload.get("key") == (
                message.delivery_key
            ):
                return f"{channel}:{posted['ts']}"
        return None

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


async def _channel(client: AsyncWebClient, conversation: ConversationRef) -> str:
    """The channel id; a person's DM by user id ("@U…") is opened (or found) first."""
    if not conversation.channel.startswith("@"):
        return conversation.channel
    opened = await _call(client.conversations_open(users=conversation.channel[1:]))
    return str(opened["channel"]["id"])


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


async def _call(request: Awaitable[Any], *, maybe_sent: bool = False) -> Any:
    """Await a Web API call, turning Slack's answer into the outbox's two kinds of failure.
    `maybe_sent`: a time-out or a broken connection may come after Slack took the post."""
    try:
        return await request
    except SlackApiError as exc:
        raise classify(exc) from exc
    except (TimeoutError, aiohttp.ClientError) as exc:
        problem = f"Slack unreachable: {type(exc).__name__}: {exc}"
        raise RetryLaterError(problem, maybe_sent=maybe_sent) from exc


def classify(exc: SlackApiError) -> RetryLaterError | UndeliverableError:
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = getattr(response, "data", None)
    error = str(data.get("error") or "") if isinstance(data, dict) else ""
    if status == 429 or error == "ratelimited":
        headers = getattr(response, "headers", {}) or {}
        return RetryLaterError(
            f"Slack rate limit ({error or status})", _retry_after(headers), rate_limited=True
        )
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
