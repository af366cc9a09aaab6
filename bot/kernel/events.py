"""Neutral inbound events: what every adapter translates a platform's payload into."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# C0 control characters but tab, newline and carriage return, and DEL: nobody types them, and
# PostgreSQL cannot store a NUL in text.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_ID = 255


def _readable(text: str) -> str:
    """Text as a person wrote it, without the control characters that cannot be stored."""
    return CONTROL.sub("", text)


def _identifier(value: str) -> str:
    """A platform's id: refused (never altered) when it holds a control character, since
    altered it would name someone else."""
    if ANY_CONTROL.search(value):
        raise ValueError("an id may not contain control characters")
    if len(value) > MAX_ID:
        raise ValueError(f"an id may be at most {MAX_ID} characters")
    return value


Text = Annotated[str, AfterValidator(_readable)]
Identifier = Annotated[str, AfterValidator(_identifier)]


class ConversationRef(BaseModel):
    """Where a message lives: enough for an adapter to post (or reply) there again."""

    model_config = ConfigDict(frozen=True)

    platform: Identifier
    workspace: Identifier
    channel: Identifier
    user: Identifier | None = None
    thread: Identifier | None = None
    # Platform specifics an adapter needs to reach the conversation again (Teams' serviceUrl).
    extra: dict[str, str] = Field(default_factory=dict)

    def for_user(self, user: str) -> ConversationRef:
        return self.model_copy(update={"user": user})


class PersonInfo(BaseModel):
    """What a platform tells about the person behind an event."""

    model_config = ConfigDict(frozen=True)

    user_id: Identifier
    display_name: Text | None = None
    timezone: str | None = None
    language: str | None = None


class ForwardedMessage(BaseModel):
    """A message a team member received directly and passes on to the PO."""

    model_config = ConfigDict(frozen=True)

    author: PersonInfo
    text: Text
    # The original message's own conversation, to tell the author about the outcome there.
    conversation: ConversationRef | None = None


class MessageEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["message"] = "message"
    conversation: ConversationRef
    sender: PersonInfo
    text: Text
    source: Literal["direct", "channel"] = "direct"
    forward_of: ForwardedMessage | None = None
    idempotency_key: Identifier
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)


class ActionEvent(BaseModel):
    """A click on a button of a message the bot sent, with what was typed alongside it."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["action"] = "action"
    conversation: ConversationRef
    sender: PersonInfo
    action_id: Identifier
    value: Text
    input: Text | None = None
    idempotency_key: Identifier
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)


class InstallEvent(BaseModel):
    """The bot was added to a conversation (a personal chat, a team, a group chat): say hello."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["install"] = "install"
    conversation: ConversationRef
    sender: PersonInfo
    # A one-to-one chat with the person who installed it, rather than a team or group chat.
    personal: bool = False
    idempotency_key: Identifier
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)


TrackerState = Literal["open", "in_progress", "done", "wont_do"]
MAX_COMMENT = 4_000
# A tracker comment that starts with this is for the requester: it is relayed to them.
FOR_REQUESTER = re.compile(r"^\s*(?:@requester|\[requester\])[:,]?\s*", re.IGNORECASE)


def for_requester(comment: str) -> str | None:
    """The comment's words for the requester, or None when it is not marked for them."""
    marked = FOR_REQUESTER.match(comment)
    text = comment[marked.end() :].strip() if marked else ""
    return text[:MAX_COMMENT] or None


class TrackerEvent(BaseModel):
    """A tracker said an item moved (a verified webhook). ``conversation.platform`` is the
    tracker's kind, ``conversation.workspace`` the Heatshield workspace's id (the receiver
    found it by the tracker's project) and ``conversation.channel`` the item's key, so that an
    item's moves are handled in order."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["tracker"] = "tracker"
    conversation: ConversationRef
    sender: PersonInfo  # who moved it (or wrote the comment), in the tracker
    key: Identifier
    state: TrackerState | None = None
    # A comment on the item marked for the requester, to relay (its marker taken off).
    comment: Text | None = Field(default=None, max_length=MAX_COMMENT)
    idempotency_key: Identifier
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)


InboundEvent = MessageEvent | ActionEvent | InstallEvent | TrackerEvent
