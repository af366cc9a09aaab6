"""Linear's webhooks for a tracker: the Linear-Signature header (HMAC-SHA256 of the body with
the webhook's signing secret, hex) and what an issue update says about its workflow state."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from adapters.trackers.comment import Comment
from bot.kernel.events import TrackerState

STATE_TYPES: dict[str, TrackerState] = {
    "triage": "open",
    "backlog": "open",
    "unstarted": "open",
    "started": "in_progress",
    "completed": "done",
    "canceled": "wont_do",
}


def signed(body: bytes, signature: str, secret: str) -> bool:
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def team_of(payload: dict[str, Any]) -> str | None:
    data = payload.get("data")
    if not isinstance(data, dict):
        return None
    team = data.get("team")
    if isinstance(team, dict) and isinstance(team.get("key"), str):
        return str(team["key"])
    identifier = data.get("identifier") or (data.get("issue") or {}).get("identifier")
    return identifier.split("-")[0] if isinstance(identifier, str) and "-" in identifier else None


def issue_change(payload: dict[str, Any]) -> tuple[str, TrackerState] | None:
    """The issue's identifier and the state an update moved it to, or None when its workflow
    state did not change."""
    if payload.get("type") != "Issue" or payload.get("action") != "update":
        return None
    if "stateId" not in (payload.get("updatedFrom") or {}):
        return None
    data = payload.get("data") or {}
    identifier = data.get("identifier")
    kind = (data.get("state") or {}).get("type")
    state = STATE_TYPES.get(kind) if isinstance(kind, str) else None
    return (identifier, state) if isinstance(identifier, str) and state else None


def comment_of(payload: dict[str, Any]) -> Comment | None:
    """A new comment on an issue: the issue's identifier, the comment's author, its words, its
    id."""
    if payload.get("type") != "Comment" or payload.get("action") != "create":
        return None
    data = payload.get("data") or {}
    identifier = (data.get("issue") or {}).get("identifier")
    body = data.get("body")
    author = (data.get("user") or {}).get("name", "Linear")
    if not isinstance(identifier, str) or not isinstance(body, str):
        return None
    return Comment(identifier, str(author), body, str(data.get("id") or ""))
