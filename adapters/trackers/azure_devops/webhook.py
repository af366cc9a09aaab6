"""Azure DevOps service hooks for a tracker: the hook's basic-authentication password is the
shared secret; what a "work item updated" event says about the item's state."""

from __future__ import annotations

import base64
import binascii
import hmac
import html
import re
from typing import Any

from adapters.trackers.comment import Comment
from bot.kernel.events import TrackerState

TAG = re.compile(r"<[^<>]*>")
MAX_HISTORY = 20_000

# The states of the Agile, Scrum, CMMI and Basic processes.
STATES: dict[str, TrackerState] = {
    "new": "open", "to do": "open", "proposed": "open", "approved": "open",
    "active": "in_progress", "committed": "in_progress", "doing": "in_progress",
    "in progress": "in_progress",
    "resolved": "done", "closed": "done", "done": "done",
    "removed": "wont_do",
}  # fmt: skip


def password_matches(authorization: str, secret: str) -> bool:
    """Whether the Basic credentials' password is the secret (the user name is free)."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        _, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, ValueError):  # not base64, not ASCII, not UTF-8
        return False
    return bool(password) and hmac.compare_digest(password.encode(), secret.encode())


def _revision_fields(payload: dict[str, Any]) -> dict[str, Any]:
    resource = payload.get("resource")
    revision = resource.get("revision") if isinstance(resource, dict) else None
    fields = revision.get("fields") if isinstance(revision, dict) else None
    return fields if isinstance(fields, dict) else {}


def project_of(payload: dict[str, Any]) -> str | None:
    resource = payload.get("resource") or {}
    own = resource.get("fields") if isinstance(resource, dict) else None
    project = _revision_fields(payload).get("System.TeamProject") or (
        own.get("System.TeamProject") if isinstance(own, dict) else None
    )
    return project if isinstance(project, str) else None


def item_change(payload: dict[str, Any]) -> tuple[str, TrackerState] | None:
    """The work item's key and the state it moved to, or None when its state did not change."""
    if payload.get("eventType") != "workitem.updated":
        return None
    resource = payload.get("resource") or {}
    if "System.State" not in (resource.get("fields") or {}):
        return None
    fields = _revision_fields(payload)
    state = STATES.get(str(fields.get("System.State", "")).casefold())
    work_item = resource.get("workItemId") or (resource.get("revision") or {}).get("id")
    project = project_of(payload)
    if state is None or work_item is None or project is None:
        return None
    return f"{project}#{work_item}", state


def html_words(history: str) -> str:
    """A comment's words without its HTML tags and entities."""
    # [^<>]: a tag ends at the next "<" too, so thousands of "<" cost a pass, not a square.
    return html.unescape(TAG.sub(" ", history[:MAX_HISTORY]))


def comment_of(payload: dict[str, Any]) -> Comment | None:
    """A new comment on a work item ("workitem.commented"): its key, who wrote it, its words
    (Azure DevOps keeps comments as HTML), and the revision that added it as its id."""
    if payload.get("eventType") != "workitem.commented":
        return None
    resource = payload.get("resource") or {}
    fields = resource.get("fields") or {}
    history = fields.get("System.History")
    project = project_of(payload)
    work_item = resource.get("id")
    if not isinstance(history, str) or project is None or work_item is None:
        return None
    author = fields.get("System.ChangedBy") or "Azure DevOps"
    name = author.get("displayName", "Azure DevOps") if isinstance(author, dict) else str(author)
    text = html_words(history)
    revision = resource.get("rev")
    return Comment(
        f"{project}#{work_item}",
        name.split(" <")[0],
        " ".join(text.split()),
        f"{work_item}.{revision}" if revision is not None else "",
    )
