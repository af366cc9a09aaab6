"""The playground's JSON bodies, checked and turned into neutral events."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.kernel.errors import InvalidInputError
from bot.kernel.events import (
    ActionEvent,
    ConversationRef,
    ForwardedMessage,
    MessageEvent,
    PersonInfo,
)

PLATFORM = "playground"
USER_PATTERN = r"^[A-Za-z0-9_.@-]{1,64}$"
MAX_TEXT = 20_000
# Pydantic's wording where a person would not follow it.
PLAIN_PROBLEMS = {
    "string_pattern_mismatch": "use 1 to 64 letters, digits or . _ @ -",
    "extra_forbidden": "is not a field of this request",
    "missing": "is required",
}


class ForwardBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(pattern=USER_PATTERN)
    text: str = Field(max_length=MAX_TEXT)


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace: str = Field(min_length=1, max_length=255)
    user: str = Field(pattern=USER_PATTERN)
    text: str = Field(default="", max_length=MAX_TEXT)
    forward_of: ForwardBody | None = None
    id: str | None = Field(default=None, min_length=1, max_length=128)
    # A user the workspace does not know is refused, unless the call says to take them in
    # (as a stakeholder, the way a new person writing in Slack or Teams is).
    create: bool = False


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace: str = Field(min_length=1, max_length=255)
    user: str = Field(pattern=USER_PATTERN)
    action_id: str = Field(min_length=1, max_length=64)
    value: str = Field(max_length=255)
    input: str | None = Field(default=None, max_length=MAX_TEXT)
    id: str | None = Field(default=None, min_length=1, max_length=128)


def parse(model: type[BaseModel], body: Any) -> Any:
    """Validate a body, turning pydantic's error into one clear sentence."""
    if not isinstance(body, dict):
        raise InvalidInputError("body", "expected a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        problem = PLAIN_PROBLEMS.get(first["type"], first["msg"])
        raise InvalidInputError(field, problem) from exc


def direct(workspace: str, user: str) -> ConversationRef:
    return ConversationRef(platform=PLATFORM, workspace=workspace, channel=f"@{user}", user=user)


def message_event(body: MessageBody) -> MessageEvent:
    if body.forward_of is None and not body.text.strip():
        raise InvalidInputError("text", "is empty: write what you need, and why")
    forward = None
    if body.forward_of is not None:
        forward = ForwardedMessage(
            author=PersonInfo(user_id=body.forward_of.user),
            text=body.forward_of.text,
            conversation=direct(body.workspace, body.forward_of.user),
        )
    return MessageEvent(
        conversation=direct(body.workspace, body.user),
        sender=PersonInfo(user_id=body.user),
        text=body.text,
        source="direct",
        forward_of=forward,
        # A client's ids are its own: scoped to the person, so two people never collide.
        idempotency_key=f"message:{body.workspace}:{body.user}:{body.id or uuid.uuid4()}",
        raw=body.model_dump(),
    )


def action_event(body: ActionBody) -> ActionEvent:
    return ActionEvent(
        conversation=direct(body.workspace, body.user),
        sender=PersonInfo(user_id=body.user),
        action_id=body.action_id,
        value=body.value,
        input=body.input,
        idempotency_key=f"action:{body.workspace}:{body.user}:{body.id or uuid.uuid4()}",
        raw=body.model_dump(),
    )
