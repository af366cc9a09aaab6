"""Neutral inbound events: what every adapter translates a platform's payload into."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ConversationRef(BaseModel):
    """Where a message lives: enough for an adapter to post (or reply) there again."""

    model_config = ConfigDict(frozen=True)

    platform: str
    workspace: str
    channel: str
    user: str | None = None
    thread: str | None = None
    # Platform specifics an adapter needs to reach the conversation again (Teams' serviceUrl).
    extra: dict[str, str] = Field(default_factory=dict)

    def for_user(self, user: str) -> ConversationRef:
        return self.model_copy(update={"user": user})


class PersonInfo(BaseModel):
    """What a platform tells about the person behind an event."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    display_name: str | None = None
    timezone: str | None = None
    language: str | None = None


class ForwardedMessage(BaseModel):
    """A message a team member received directly and passes on to the PO."""

    model_config = ConfigDict(frozen=True)

    author: PersonInfo
    text: str
    # The original message's own conversation, to tell the author about the outcome there.
    conversation: ConversationRef | None = None


class MessageEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["message"] = "message"
    conversation: ConversationRef
    sender: PersonInfo
    text: str
    source: Literal["direct", "channel"] = "direct"
    forward_of: ForwardedMessage | None = None
    idempotency_key: str
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)


class ActionEvent(BaseModel):
    """A click on a button of a message the bot sent, with what was typed alongside it."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["action"] = "action"
    conversation: ConversationRef
    sender: PersonInfo
    action_id: str
    value: str
    input: str | None = None
    idempotency_key: str
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)


class InstallEvent(BaseModel):
    """The bot was added to a conversation (a personal chat, a team, a group chat): say hello."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["install"] = "install"
    conversation: ConversationRef
    sender: PersonInfo
    # A one-to-one chat with the person who installed it, rather than a team or group chat.
    personal: bool = False
    idempotency_key: str
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)


InboundEvent = MessageEvent | ActionEvent | InstallEvent
