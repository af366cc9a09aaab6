"""Slack's payloads as neutral events: one named translator per kind of payload.

The people behind a payload are looked up first (users.info) and passed in; the translators
themselves only read the payload, so they are plain functions.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from adapters.slack.render import ANSWER, CALLBACK_INPUT, CALLBACK_REQUEST, read_menu_choice
from bot.kernel.errors import InvalidInputError
from bot.kernel.events import (
    ActionEvent,
    ConversationRef,
    ForwardedMessage,
    InboundEvent,
    MessageEvent,
    PersonInfo,
)
from bot.kernel.i18n import Translator

PLATFORM = "slack"
TICKET = "ticket"
FORWARD_SHORTCUT = "send_to_po"
REQUEST_COMMAND = "/request"
MAX_TEXT = 20_000
# Message subtypes that are a person writing; the rest (edits, joins, bots) are not requests.
# None is a message without a subtype, as bolt's subtype constraint reads it.
MESSAGE_SUBTYPES: tuple[str | None, ...] = (None, "file_share", "thread_broadcast")
PERSON_SUBTYPES = frozenset(MESSAGE_SUBTYPES)
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def team_of(body: dict[str, Any]) -> str | None:
    """The workspace a payload comes from: events, interactivity and commands name it apart."""
    candidates = (
        body.get("team_id"),
        (body.get("team") or {}).get("id"),
        (body.get("user") or {}).get("team_id"),
        (body.get("view") or {}).get("team_id"),
    )
    return next((team for team in candidates if isinstance(team, str) and team), None)


def direct(team: str, user: str) -> ConversationRef:
    """A person's DM with the bot, by user id: the sender opens it (conversations.open)."""
    return ConversationRef(platform=PLATFORM, workspace=team, channel=f"@{user}", user=user)


def plain_text(text: str, bot_user_id: str | None = None) -> str:
    """What the person wrote: the bot's own mention dropped, links and entities readable."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", "", text)
    text = LINK.sub(lambda match: match.group(2) or match.group(1), text)
    return html.unescape(text).strip()[:MAX_TEXT]


def from_a_person(event: dict[str, Any]) -> bool:
    """Not a bot, not an edit or a join: a person writing."""
    return (
        bool(event.get("user"))
        and not event.get("bot_id")
        and not event.get("bot_profile")
        and event.get("subtype") in PERSON_SUBTYPES
    )


def from_the_bot(body: dict[str, Any]) -> bool:
    """Whether the event's user is the bot itself, as the payload's authorizations name it
    (what bolt's own check does for the payloads it dispatches)."""
    user = body["event"].get("user")
    authorizations = body.get("authorizations") or []
    return any(
        isinstance(grant, dict) and grant.get("is_bot") and grant.get("user_id") == user
        for grant in authorizations
    )


def event_key(body: dict[str, Any]) -> str:
    return f"event:{body.get('event_id') or body['event'].get('event_ts')}"


def direct_message_event(body: dict[str, Any], sender: PersonInfo) -> MessageEvent:
    """A message in the bot's DM (channel_type "im")."""
    event = body["event"]
    team = team_of(body) or ""
    return MessageEvent(
        conversation=ConversationRef(
            platform=PLATFORM,
            workspace=team,
            channel=event["channel"],
            user=event["user"],
            thread=event.get("thread_ts"),
        ),
        sender=sender,
        text=plain_text(event.get("text") or ""),
        source="direct",
        idempotency_key=event_key(body),
        raw=body,
    )


def mention_event(
    body: dict[str, Any], sender: PersonInfo, bot_user_id: str | None
) -> MessageEvent:
    """An @mention in a channel: answered in the thread it started (or the one it is in)."""
    event = body["event"]
    return MessageEvent(
        conversation=ConversationRef(
            platform=PLATFORM,
            workspace=team_of(body) or "",
            channel=event["channel"],
            user=event["user"],
            thread=event.get("thread_ts") or event["ts"],
        ),
        sender=sender,
        text=plain_text(event.get("text") or "", bot_user_id),
        source="channel",
        idempotency_key=event_key(body),
        raw=body,
    )


def forward(
    *,
    team: str,
    forwarder: PersonInfo,
    author: PersonInfo,
    text: str,
    channel: str,
    ts: str,
    key: str,
    raw: dict[str, Any],
) -> MessageEvent:
    """Someone passes another person's message on to the PO: the author stays the stakeholder.

    The forwarder is answered in their DM; the original message's thread is kept with it.
    """
    return MessageEvent(
        conversation=direct(team, forwarder.user_id),
        sender=forwarder,
        text="",
        source="channel",
        forward_of=ForwardedMessage(
            author=author,
            text=plain_text(text),
            conversation=ConversationRef(
                platform=PLATFORM, workspace=team, channel=channel, user=author.user_id, thread=ts
            ),
        ),
        idempotency_key=key,
        raw=raw,
    )


def reaction_forward(
    body: dict[str, Any], reactor: PersonInfo, author: PersonInfo, text: str
) -> MessageEvent:
    """The :ticket: reaction on a message; its author's own reaction is a request in the thread."""
    event = body["event"]
    item = event["item"]
    team = team_of(body) or ""
    if reactor.user_id == author.user_id:
        return MessageEvent(
            conversation=ConversationRef(
                platform=PLATFORM,
                workspace=team,
                channel=item["channel"],
                user=author.user_id,
                thread=item["ts"],
            ),
            sender=author,
            text=plain_text(text),
            source="channel",
            idempotency_key=event_key(body),
            raw=body,
        )
    return forward(
        team=team,
        forwarder=reactor,
        author=author,
        text=text,
        channel=item["channel"],
        ts=item["ts"],
        key=event_key(body),
        raw=body,
    )


def shortcut_forward(
    payload: dict[str, Any], forwarder: PersonInfo, author: PersonInfo
) -> MessageEvent:
    """The message shortcut "Send to Product Owner"."""
    message = payload["message"]
    return forward(
        team=team_of(payload) or "",
        forwarder=forwarder,
        author=author,
        text=message.get("text") or "",
        channel=(payload.get("channel") or {}).get("id") or "",
        ts=message.get("thread_ts") or message.get("ts") or payload.get("message_ts") or "",
        key=f"shortcut:{forwarder.user_id}:{payload.get('action_ts') or payload['trigger_id']}",
        raw=payload,
    )


def command_event(payload: dict[str, Any], sender: PersonInfo) -> MessageEvent:
    """`/request status`, or `/request` with the request typed after it, answered in the DM."""
    team = team_of(payload) or ""
    return MessageEvent(
        conversation=direct(team, payload["user_id"]),
        sender=sender,
        text=plain_text(payload.get("text") or ""),
        source="direct",
        idempotency_key=f"command:{payload['trigger_id']}",
        raw=payload,
    )


def action_conversation(payload: dict[str, Any], team: str, user: str) -> ConversationRef:
    """Where a click is answered: the card's channel (and thread), or the DM for the App Home."""
    container = payload.get("container") or {}
    channel = container.get("channel_id") or (payload.get("channel") or {}).get("id")
    if container.get("type") == "message" and channel:
        message = payload.get("message") or {}
        return ConversationRef(
            platform=PLATFORM,
            workspace=team,
            channel=channel,
            user=user,
            thread=message.get("thread_ts"),
        )
    return direct(team, user)


def action_event(
    payload: dict[str, Any], action: dict[str, Any], sender: PersonInfo
) -> ActionEvent:
    """A click on one of the bot's buttons, or a choice in one of its menus (block_actions)."""
    team = team_of(payload) or ""
    user = payload["user"]["id"]
    stamp = action.get("action_ts") or payload.get("trigger_id")
    choice = read_menu_choice(action)
    action_id, value = choice or (
        str(action.get("action_id") or ""),
        str(action.get("value") or ""),
    )
    return ActionEvent(
        conversation=action_conversation(payload, team, user),
        sender=sender,
        action_id=action_id[:64],
        value=value[:255],
        idempotency_key=f"action:{user}:{action_id[:64]}:{stamp}",
        raw=payload,
    )


def modal_metadata(payload: dict[str, Any], action_id: str, value: str) -> dict[str, Any]:
    """What the input modal must remember of the click that opened it."""
    team = team_of(payload) or ""
    user = payload["user"]["id"]
    conversation = action_conversation(payload, team, user)
    return {"a": action_id, "v": value, "c": conversation.channel, "t": conversation.thread}


def state_value(view: dict[str, Any], block: str, action: str) -> str | None:
    """The value of one input of a submitted modal, whatever kind of input it is."""
    state = ((view.get("state") or {}).get("values") or {}).get(block, {}).get(action) or {}
    kind = state.get("type")
    if kind == "datepicker":
        return state.get("selected_date")
    if kind == "multi_users_select":
        return ",".join(state.get("selected_users") or [])
    if kind == "checkboxes":
        return ",".join(option["value"] for option in state.get("selected_options") or [])
    value = state.get("value")
    return str(value) if value is not None else None


def input_submission_event(payload: dict[str, Any], sender: PersonInfo) -> ActionEvent:
    """The input modal, submitted: the click it was opened for, with what was filled in."""
    view = payload["view"]
    try:
        metadata = json.loads(view.get("private_metadata") or "")
        action_id, value = str(metadata["a"]), str(metadata["v"])
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise InvalidInputError("private_metadata", "not a Heatshield input modal") from exc
    team = team_of(payload) or ""
    user = payload["user"]["id"]
    channel = metadata.get("c")
    conversation = (
        ConversationRef(
            platform=PLATFORM, workspace=team, channel=channel, user=user, thread=metadata.get("t")
        )
        if channel and not str(channel).startswith("@")
        else direct(team, user)
    )
    return ActionEvent(
        conversation=conversation,
        sender=sender,
        action_id=action_id,
        value=value,
        input=state_value(view, ANSWER, ANSWER),
        idempotency_key=f"view:{view['id']}",
        raw=payload,
    )


def request_text(tr: Translator, view: dict[str, Any]) -> str:
    """The /request modal as one request text, in the stakeholder's own language."""
    what = (state_value(view, "what", "what") or "").strip()
    if not what:
        raise InvalidInputError("what", tr.t("Please say what you need."))
    parts = [what]
    why = (state_value(view, "why", "why") or "").strip()
    if why:
        parts.append(tr.t("Why, and for whom: {why}", why=why))
    needed_by = state_value(view, "needed_by", "needed_by")
    if needed_by:
        parts.append(tr.t("Needed by: {day}", day=needed_by))
    if state_value(view, "urgent", "urgent"):
        parts.append(tr.t("Urgent: this cannot wait for the next review."))
    return "\n\n".join(parts)


def modal_language(view: dict[str, Any]) -> str | None:
    """The language a modal of the bot's was written in, as it remembers it (its metadata)."""
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except (ValueError, RecursionError):
        return None
    language = metadata.get("l") if isinstance(metadata, dict) else None
    return language if isinstance(language, str) else None


def request_submission_event(
    payload: dict[str, Any], sender: PersonInfo, tr: Translator
) -> MessageEvent:
    """The /request modal, submitted: a request from its sender, answered in their DM."""
    view = payload["view"]
    team = team_of(payload) or ""
    return MessageEvent(
        conversation=direct(team, payload["user"]["id"]),
        sender=sender,
        text=request_text(tr, view),
        source="direct",
        idempotency_key=f"view:{view['id']}",
        raw=payload,
    )


def callback_of(payload: dict[str, Any]) -> str | None:
    view = payload.get("view") or {}
    callback = view.get("callback_id")
    return str(callback) if callback in (CALLBACK_INPUT, CALLBACK_REQUEST) else None


def from_home(event: InboundEvent) -> bool:
    """Whether a click (or a form it opened) came from the App Home, which then changes."""
    if not isinstance(event, ActionEvent):
        return False
    payload = event.raw
    view = payload.get("view") if isinstance(payload, dict) else None
    if not isinstance(view, dict):
        return False
    if view.get("type") == "home":
        return True
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except (ValueError, RecursionError):
        return False
    return isinstance(metadata, dict) and bool(metadata.get("h"))
