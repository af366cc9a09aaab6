"""GitHub's webhooks for a tracker: the signature GitHub puts on each delivery, and what an
`issues` event says about the issue's state."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from adapters.trackers.comment import Comment
from bot.kernel.events import TrackerState

# Someone took the issue up: GitHub has no "in progress" state, a label or an assignee says so.
IN_PROGRESS_LABELS = frozenset({"in progress", "in-progress", "doing", "wip"})


def signed(body: bytes, signature: str, secret: str) -> bool:
    """Whether X-Hub-Signature-256 ("sha256=<hex>") is the HMAC-SHA256 of the body with the
    shared secret; compared in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    # As bytes: compare_digest refuses a str with a character beyond ASCII.
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def repository_of(payload: dict[str, Any]) -> str | None:
    repository = payload.get("repository")
    name = repository.get("full_name") if isinstance(repository, dict) else None
    return name if isinstance(name, str) else None


def issue_change(payload: dict[str, Any]) -> tuple[str, TrackerState] | None:
    """The issue's key and the state an `issues` event moves it to, or None for a change
    that is no move (an edit, a comment, a label of another kind)."""
    issue = payload.get("issue")
    repository = repository_of(payload)
    if (
        not isinstance(issue, dict)
        or repository is None
        or ("number" in issue and "pull_request" in issue)
    ):
        return None
    key = f"{repository}#{issue.get('number')}"
    action = payload.get("action")
    if action == "closed":
        return key, "wont_do" if issue.get("state_reason") == "not_planned" else "done"
    if action == "reopened":
        return key, "open"
    if action == "assigned":
        return key, "in_progress"
    label = payload.get("label")
    name = str(label.get("name", "")) if isinstance(label, dict) else ""
    if action == "labeled" and name.casefold() in IN_PROGRESS_LABELS:
        return key, "in_progress"
    return None


def comment_of(payload: dict[str, Any]) -> Comment | None:
    """A new comment on an issue: the issue's key, the comment's author, its words, its id."""
    issue, comment = payload.get("issue"), payload.get("comment")
    repository = repository_of(payload)
    if payload.get("action") != "created" or repository is None:
        return None
    if not isinstance(issue, dict) or not isinstance(comment, dict) or "pull_request" in issue:
        return None
    user = comment.get("user")
    login = user.get("login", "GitHub") if isinstance(user, dict) else "GitHub"
    body = comment.get("body")
    if not isinstance(body, str):
        return None
    key = f"{repository}#{issue.get('number')}"
    return Comment(key, str(login), body, str(comment.get("id") or ""))
