"""Jira's webhooks for a tracker: Jira Cloud's admin webhooks carry no signature, so the
shared secret travels in the webhook's URL (`?secret=...`), compared in constant time; what an
issue update says about the issue's state, read from its status category."""

from __future__ import annotations

import hmac
from typing import Any

from adapters.trackers.comment import Comment
from bot.kernel.events import TrackerState

WONT_DO = frozenset({"won't do", "won't fix", "declined", "cannot reproduce", "duplicate"})
CATEGORY_STATES: dict[str, TrackerState] = {"new": "open", "indeterminate": "in_progress"}


def secret_matches(given: str, secret: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), secret.encode())


def project_of(payload: dict[str, Any]) -> str | None:
    issue = payload.get("issue")
    fields = issue.get("fields") if isinstance(issue, dict) else None
    project = fields.get("project") if isinstance(fields, dict) else None
    key = project.get("key") if isinstance(project, dict) else None
    return key if isinstance(key, str) else None


def issue_change(payload: dict[str, Any]) -> tuple[str, TrackerState] | None:
    """The issue's key and the state an update moved its status to, or None when its status
    did not change (an edit, a comment, another field)."""
    if payload.get("webhookEvent") != "jira:issue_updated":
        return None
    items = (payload.get("changelog") or {}).get("items") or []
    if not any(isinstance(i, dict) and i.get("field") == "status" for i in items):
        return None
    issue = payload.get("issue") or {}
    key = issue.get("key")
    state = state_of(issue.get("fields") or {})
    return (key, state) if isinstance(key, str) and state else None


def state_of(fields: dict[str, Any]) -> TrackerState | None:
    """An issue's state from its status category (and, when done, its resolution)."""
    category = ((fields.get("status") or {}).get("statusCategory") or {}).get("key")
    if category == "done":
        resolution = str((fields.get("resolution") or {}).get("name", "")).casefold()
        return "wont_do" if resolution in WONT_DO else "done"
    return CATEGORY_STATES.get(category) if isinstance(category, str) else None


def delivery_of(payload: dict[str, Any], identifier: str) -> str:
    """Jira's id of the delivery (the same on its retries), or one made of what it carries."""
    if identifier:
        return identifier
    issue = payload.get("issue") or {}
    changelog = payload.get("changelog") or {}
    return f"{issue.get('key')}:{changelog.get('id') or payload.get('timestamp')}"


def comment_of(payload: dict[str, Any]) -> Comment | None:
    """A new comment on an issue: the issue's key, the comment's author, its words, its id."""
    if payload.get("webhookEvent") != "comment_created":
        return None
    issue, comment = payload.get("issue") or {}, payload.get("comment") or {}
    key = issue.get("key")
    author = (comment.get("author") or {}).get("displayName", "Jira")
    text = plain_text(comment.get("body"))
    if not isinstance(key, str) or not text:
        return None
    return Comment(key, str(author), text, str(comment.get("id") or ""))


def plain_text(body: Any) -> str:
    """A comment's words: wiki text as it is, Atlassian Document Format's text nodes joined."""
    if isinstance(body, str):
        return body
    if isinstance(body, dict):
        if body.get("type") == "text":
            return str(body.get("text", ""))
        parts = [plain_text(node) for node in body.get("content", [])]
        joiner = "\n" if body.get("type") in ("doc", "bulletList", "orderedList") else ""
        return joiner.join(part for part in parts if part)
    return ""
