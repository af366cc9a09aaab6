"""Teams activities (the JSON the Bot Connector posts) turned into neutral events.

The functions read the activity exactly as Teams sends it (camelCase JSON), not the SDK's
objects: a later move to the Microsoft 365 Agents SDK touches only this folder.
"""

from __future__ import annotations

import hashlib
import html
import re
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.kernel.events import (
    ANY_CONTROL,
    MAX_ID,
    ActionEvent,
    ConversationRef,
    ForwardedMessage,
    InboundEvent,
    InstallEvent,
    MessageEvent,
    PersonInfo,
)

PLATFORM = "teams"
SUBMIT_ACTION = "composeExtension/submitAction"
MAX_TEXT = 20_000
MAX_KEY = 200
DIRECT_PREFIX = "@"
Activity = dict[str, Any]


class NotForwardableError(Exception):
    """A message-extension submit whose message has no person as author (a bot's post)."""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def tenant_of(activity: Activity) -> str:
    """The tenant: botbuilder reads `conversation.tenantID`, Teams sends channelData.tenant.id."""
    tenant = _str(_dict(_dict(activity.get("channelData")).get("tenant")).get("id"))
    return tenant or _str(_dict(activity.get("conversation")).get("tenantId"))


def conversation_type(activity: Activity) -> str:
    return _str(_dict(activity.get("conversation")).get("conversationType")) or "personal"


def is_personal(activity: Activity) -> bool:
    return conversation_type(activity) == "personal"


def idempotency_key(activity: Activity) -> str:
    """The activity id within its conversation: a resent activity carries the same pair."""
    conversation = _str(_dict(activity.get("conversation")).get("id"))
    activity_id = _str(activity.get("id"))
    if not activity_id:
        # Teams always sends an id; without one, the content itself identifies the activity.
        activity_id = "sha:" + hashlib.sha256(repr(sorted(activity.items())).encode()).hexdigest()
    key = f"{activity.get('type', '')}:{activity_id}@{conversation}"
    if len(key) > MAX_KEY:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def thread_of(activity: Activity) -> str | None:
    """A channel conversation id names its thread (`19:…@thread.tacv2;messageid=123`)."""
    conversation_id = _str(_dict(activity.get("conversation")).get("id"))
    _, _, message_id = conversation_id.partition(";messageid=")
    if message_id:
        return message_id
    if conversation_type(activity) == "channel":
        return _str(activity.get("replyToId")) or _str(activity.get("id")) or None
    return None


def channel_extra(activity: Activity) -> dict[str, str]:
    """What the sender needs to reach the conversation again."""
    extra = {
        "serviceUrl": _str(activity.get("serviceUrl")),
        "botId": _str(_dict(activity.get("recipient")).get("id")),
        "tenantId": tenant_of(activity),
        "conversationType": conversation_type(activity),
    }
    aad = _str(_dict(activity.get("from")).get("aadObjectId"))
    if aad:
        extra["aadObjectId"] = aad
    return {key: value for key, value in extra.items() if value}


def conversation_of(activity: Activity) -> ConversationRef:
    """Where the activity happened; a reply there lands in the thread of a channel post."""
    conversation_id = _str(_dict(activity.get("conversation")).get("id"))
    user = _str(_dict(activity.get("from")).get("id")) or None
    return ConversationRef(
        platform=PLATFORM,
        workspace=tenant_of(activity),
        channel=conversation_id,
        user=user,
        thread=None if is_personal(activity) else thread_of(activity),
        extra=channel_extra(activity),
    )


def direct_to(activity: Activity, user: str) -> ConversationRef:
    """The person's one-to-one chat with the bot, created on first send when not known yet."""
    extra = channel_extra(activity)
    extra["conversationType"] = "personal"
    extra.pop("aadObjectId", None)
    return ConversationRef(
        platform=PLATFORM,
        workspace=tenant_of(activity),
        channel=f"{DIRECT_PREFIX}{user}",
        user=user,
        extra=extra,
    )


def known_timezone(name: str) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def person_of(activity: Activity) -> PersonInfo:
    sender = _dict(activity.get("from"))
    return PersonInfo(
        user_id=_str(sender.get("id")),
        display_name=_str(sender.get("name")) or None,
        timezone=known_timezone(_str(activity.get("localTimezone"))),
        language=_str(activity.get("locale")) or None,
    )


def aad_object_id(activity: Activity) -> str | None:
    """The sender's Entra object id, when it is one (a GUID: never a control character)."""
    return valid_aad(_str(_dict(activity.get("from")).get("aadObjectId")))


def valid_aad(found: object) -> str | None:
    if not isinstance(found, str):
        return None
    return found if found and not ANY_CONTROL.search(found) and len(found) <= MAX_ID else None


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "p", "div", "li"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(content: str) -> str:
    parser = _Text()
    parser.feed(content)
    parser.close()
    text = "".join(parser.parts)
    return re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+", " ", text)).strip()


def message_text(activity: Activity) -> str:
    """The text without the bot's own @mention (Teams puts `<at>Name</at>` in it)."""
    text = _str(activity.get("text"))
    bot_id = _str(_dict(activity.get("recipient")).get("id"))
    for entity in activity.get("entities") or []:
        entity = _dict(entity)
        if entity.get("type") != "mention":
            continue
        if _str(_dict(entity.get("mentioned")).get("id")) == bot_id:
            text = text.replace(_str(entity.get("text")), " ") if entity.get("text") else text
    text = re.sub(r"</?at>", "", text)
    return html.unescape(text).strip()[:MAX_TEXT]


def message_event(activity: Activity) -> MessageEvent:
    return MessageEvent(
        conversation=conversation_of(activity),
        sender=person_of(activity),
        text=message_text(activity),
        source="direct" if is_personal(activity) else "channel",
        idempotency_key=idempotency_key(activity),
        raw=activity,
    )


def action_event(activity: Activity) -> ActionEvent | None:
    """An Action.Submit on one of the bot's cards: a message whose value names the action."""
    value = _dict(activity.get("value"))
    action_id = value.get("action_id")
    if not isinstance(action_id, str) or not action_id:
        return None
    typed = value.get(_str(value.get("input_id"))) if value.get("input_id") else None
    return ActionEvent(
        conversation=conversation_of(activity),
        sender=person_of(activity),
        action_id=action_id[:64],
        value=str(value.get("value", ""))[:255],
        input=str(typed)[:MAX_TEXT] if typed not in (None, "") else None,
        idempotency_key=idempotency_key(activity),
        raw=activity,
    )


def forward_event(activity: Activity) -> MessageEvent:
    """The message action "Send to Product Owner": the author asked, the invoker forwards."""
    value = _dict(activity.get("value"))
    payload = _dict(value.get("messagePayload"))
    author = _dict(_dict(payload.get("from")).get("user"))
    if not _str(author.get("id")):
        raise NotForwardableError("the message has no person as its author")
    body = _dict(payload.get("body"))
    content = _str(body.get("content"))
    text = html_to_text(content) if body.get("contentType") == "html" else content.strip()
    note = _str(_dict(value.get("data")).get("note")).strip()
    sender = person_of(activity)
    # Thanks go to the forwarder's own chat with the bot: the bot may not be in the chat
    # where they found the message.
    conversation = (
        conversation_of(activity) if is_personal(activity) else direct_to(activity, sender.user_id)
    )
    return MessageEvent(
        conversation=conversation,
        sender=sender,
        text=note[:MAX_TEXT],
        # Not "direct": a forward must not replace the forwarder's remembered personal chat.
        source="channel",
        forward_of=ForwardedMessage(
            author=PersonInfo(
                user_id=_str(author.get("id")),
                display_name=_str(author.get("displayName")) or None,
            ),
            text=text[:MAX_TEXT],
        ),
        idempotency_key=idempotency_key(activity),
        raw=activity,
    )


def install_event(activity: Activity) -> InstallEvent | None:
    """conversationUpdate with the bot among the members added: the app was installed."""
    bot_id = _str(_dict(activity.get("recipient")).get("id"))
    added = [_str(_dict(member).get("id")) for member in activity.get("membersAdded") or []]
    if not bot_id or bot_id not in added:
        return None
    return InstallEvent(
        conversation=conversation_of(activity).model_copy(update={"thread": None}),
        sender=person_of(activity),
        personal=is_personal(activity),
        idempotency_key=idempotency_key(activity),
        raw=activity,
    )


def to_event(activity: Activity) -> InboundEvent | None:
    """The neutral event for an activity, or None for one Heatshield does not act on."""
    kind = activity.get("type")
    sender = _str(_dict(activity.get("from")).get("id"))
    if not sender or sender == _str(_dict(activity.get("recipient")).get("id")):
        return None  # nobody, or the bot itself
    if kind == "message":
        if isinstance(activity.get("value"), dict) and not _str(activity.get("text")).strip():
            return action_event(activity)
        return message_event(activity)
    if kind == "invoke" and activity.get("name") == SUBMIT_ACTION:
        return forward_event(activity)
    if kind == "conversationUpdate":
        return install_event(activity)
    return None
