"""Jira Cloud as a workspace's tracker, over its REST API (v3) with plain aiohttp: the calls
needed (who the token is, the project, create an issue, rank it, search by text) do not earn
a client library (the maintained ones are synchronous).

The triage's type picks the issue type (Bug for bugs and incidents, Story for feature
requests, Task for questions) unless the workspace set one; "at the top" ranks the new issue
before the project's first (Jira Software's rank), a new issue is at the bottom already.
"""

from __future__ import annotations

import base64
import logging
import re
from typing import Any

import aiohttp

from adapters.trackers.http import Headers, call
from adapters.trackers.jira.webhook import plain_text, state_of
from bot.kernel.events import TrackerState
from bot.kernel.trackers import (
    NewTrackerItem,
    TrackerMatch,
    TrackerRef,
    TrackerRefusedError,
    TrackerSettings,
    same_words,
    search_terms,
)

log = logging.getLogger(__name__)
EMAIL_SETTING = "HEATSHIELD_JIRA_EMAIL"
TOKEN_SETTING = "HEATSHIELD_JIRA_TOKEN"
ISSUE_TYPES = {"bug": "Bug", "incident": "Bug", "feature": "Story", "question": "Task"}


class JiraTracker:
    def __init__(self, settings: TrackerSettings, email: str, token: str) -> None:
        if not settings.url or not settings.project:
            raise TrackerRefusedError("Jira needs the site's URL and the project's key")
        self._site = settings.url.rstrip("/")
        self._project = settings.project
        self._issue_type = settings.issue_type
        basic = base64.b64encode(f"{email}:{token}".encode()).decode()
        self._headers = {"Authorization": f"Basic {basic}", "Accept": "application/json"}
        self._session: aiohttp.ClientSession | None = None

    async def check(self) -> str:
        me = await self._json("GET", "/rest/api/3/myself")
        status, _, project = await self._call("GET", f"/rest/api/3/project/{self._project}")
        if status == 404:
            raise TrackerRefusedError(f"Jira has no project {self._project} this account can see")
        if status != 200:
            raise TrackerRefusedError(refusal(status, project))
        return (
            f"connected to Jira project {project.get('key')} ({project.get('name')}) "
            f"as {me.get('displayName') or me.get('emailAddress')}"
        )

    async def create(self, item: NewTrackerItem) -> TrackerRef:
        fields = {
            "project": {"key": self._project},
            "summary": item.title[:255],
            "description": document(item),
            "issuetype": {"name": self._issue_type or ISSUE_TYPES.get(item.type, "Task")},
            "labels": ["heatshield", f"heatshield-{item.type}"],
        }
        status, _, body = await self._call("POST", "/rest/api/3/issue", json={"fields": fields})
        if status != 201:
            raise TrackerRefusedError(refusal(status, body))
        key = str(body["key"])
        if item.top:
            await self._rank_first(key)
        return TrackerRef(key, f"{self._site}/browse/{key}")

    async def find(self, link: str) -> TrackerRef | None:
        jql = f'project = "{self._project}" AND text ~ "\\"{link}\\""'
        found = await self._json(
            "GET", "/rest/api/3/search/jql", params={"jql": jql, "fields": "key"}
        )
        for issue in found.get("issues", []):
            return TrackerRef(str(issue["key"]), f"{self._site}/browse/{issue['key']}")
        return None

    async def link(self, key: str) -> TrackerRef | None:
        key = key.strip().upper()
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*-\d+", key):
            return None
        status, _, issue = await self._call(
            "GET", f"/rest/api/3/issue/{key}", params={"fields": "summary,project"}
        )
        if status == 404:
            return None
        if status != 200 or not isinstance(issue, dict):
            raise TrackerRefusedError(refusal(status, issue))
        project = ((issue.get("fields") or {}).get("project") or {}).get("key")
        if str(project).upper() != self._project.upper():  # another project of the site
            return None
        found = str(issue.get("key", key))
        return TrackerRef(found, f"{self._site}/browse/{found}")

    async def comment(self, key: str, text: str) -> None:
        paragraphs = [
            {"type": "paragraph", "content": [{"type": "text", "text": block}]}
            for block in text.split("\n\n")
            if block.strip()
        ]
        document = {"type": "doc", "version": 1, "content": paragraphs}
        status, _, body = await self._call(
            "POST", f"/rest/api/3/issue/{key}/comment", json={"body": document}
        )
        if status != 201:
            raise TrackerRefusedError(refusal(status, body))

    async def search(self, words: str, limit: int = 5) -> list[TrackerMatch]:
        """Open issues of the project that Jira's text search finds."""
        terms = search_terms(words).replace("\\", " ").replace('"', " ")
        jql = (
            f'project = "{self._project}" AND statusCategory != Done AND text ~ "{terms}" '
            "ORDER BY updated DESC"
        )
        found = await self._json(
            "GET", "/rest/api/3/search/jql",
            params={"jql": jql, "fields": "summary", "maxResults": str(limit)},
        )  # fmt: skip
        return [
            TrackerMatch(
                str(issue["key"]),
                f"{self._site}/browse/{issue['key']}",
                str((issue.get("fields") or {}).get("summary", "")),
            )
            for issue in found.get("issues", [])
        ][:limit]

    async def has_comment(self, key: str, text: str) -> bool:
        """Among the issue's fifty latest comments."""
        found = await self._json(
            "GET", f"/rest/api/3/issue/{key}/comment",
            params={"orderBy": "-created", "maxResults": "50"},
        )  # fmt: skip
        comments = found.get("comments") or []
        return any(same_words(plain_text(c.get("body")), text) for c in comments)

    async def state(self, key: str) -> TrackerState | None:
        status, _, issue = await self._call(
            "GET", f"/rest/api/3/issue/{key}", params={"fields": "status,resolution"}
        )
        if status == 404:
            return None
        if status != 200 or not isinstance(issue, dict):
            raise TrackerRefusedError(refusal(status, issue))
        return state_of(issue.get("fields") or {})

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _rank_first(self, key: str) -> None:
        """Before the project's first-ranked issue; without Jira Software (no rank) it stays
        where Jira put it, which is said in the log, not as a failure."""
        jql = f'project = "{self._project}" AND key != {key} ORDER BY Rank ASC'
        found = await self._json(
            "GET", "/rest/api/3/search/jql", params={"jql": jql, "fields": "key", "maxResults": "1"}
        )
        issues = found.get("issues", [])
        if not issues:
            return
        status, _, body = await self._call(
            "PUT", "/rest/agile/1.0/issue/rank",
            json={"issues": [key], "rankBeforeIssue": issues[0]["key"]},
        )  # fmt: skip
        if status not in (200, 204, 207):
            log.info("Could not rank %s first in %s: %s", key, self._project, refusal(status, body))

    async def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        status, _, body = await self._call(method, path, **kwargs)
        if status != 200:
            raise TrackerRefusedError(refusal(status, body))
        return body if isinstance(body, dict) else {}

    async def _call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Headers, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(headers=self._headers)
        return await call(self._session, method, self._site + path, **kwargs)


def document(item: NewTrackerItem) -> dict[str, Any]:
    """The request as Atlassian Document Format: a paragraph per block of text."""
    blocks = [
        *item.text.split("\n\n"),
        f"Requested by {item.stakeholder}, via Heatshield ({item.link}).",
    ]
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": block}]}
            for block in blocks
            if block.strip()
        ],
    }


def refusal(status: int, body: Any) -> str:
    """Jira's refusal in plain words: its errorMessages and the fields it names."""
    if status == 401:
        return f"Jira did not accept the account ({EMAIL_SETTING}, {TOKEN_SETTING})"
    if status == 403:
        return "the Jira account may not do this in the project"
    said: list[str] = []
    if isinstance(body, dict):
        said += [str(message) for message in body.get("errorMessages", [])]
        said += [f"{field}: {message}" for field, message in (body.get("errors") or {}).items()]
    return "Jira refused it: " + ("; ".join(said) if said else f"answered {status}")
