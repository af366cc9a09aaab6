"""GitHub Issues as a workspace's tracker, over GitHub's REST API with plain aiohttp: the few
calls needed (who the token is, the repository, create an issue, search for one) do not earn
a client library, and the async ones for Python are thin wrappers over the same calls.

An approved request becomes an issue with the triage's type as a label and its place on the
backlog as a label ("backlog: top" or "backlog: bottom"), since GitHub Issues has no order.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp

from adapters.trackers.github.webhook import IN_PROGRESS_LABELS
from adapters.trackers.http import Headers, call, retry_after
from bot.kernel.errors import RetryLaterError
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

DEFAULT_API = "https://api.github.com"
TOKEN_SETTING = "HEATSHIELD_GITHUB_TOKEN"
API_VERSION = "2022-11-28"


class GitHubTracker:
    def __init__(
        self,
        settings: TrackerSettings,
        token: str,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if not settings.repo or settings.repo.count("/") != 1:
            raise TrackerRefusedError("the repository must be given as owner/name")
        self._repo = settings.repo
        self._api = (settings.url or DEFAULT_API).rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "Heatshield",
        }
        self._session = session
        self._own_session = session is None

    async def check(self) -> str:
        _, _, user = await self._get("/user")
        status, _, repo = await self._get(f"/repos/{self._repo}", refuse_missing=False)
        if status == 404:
            raise TrackerRefusedError(
                f"GitHub has no repository {self._repo} that this token can see"
            )
        if not repo.get("has_issues", True):
            raise TrackerRefusedError(f"issues are turned off in {repo.get('full_name')}")
        return f"connected to GitHub repository {repo.get('full_name')} as {user.get('login')}"

    async def create(self, item: NewTrackerItem) -> TrackerRef:
        body = {
            "title": item.title[:256],
            "body": issue_body(item),
            "labels": [item.type, "backlog: top" if item.top else "backlog: bottom"],
        }
        status, headers, answer = await self._call("POST", f"/repos/{self._repo}/issues", json=body)
        if status != 201:
            raise TrackerRefusedError(refusal(status, headers, answer))
        return TrackerRef(f"{self._repo}#{answer['number']}", str(answer["html_url"]))

    async def find(self, link: str) -> TrackerRef | None:
        """The issue an earlier create made, if it got through unanswered (a time-out): among
        the repository's latest issues, not through the search, whose index may not hold an
        issue made a minute ago (it would then be made twice)."""
        params = {"state": "all", "sort": "created", "direction": "desc", "per_page": "100"}
        _, _, found = await self._get(f"/repos/{self._repo}/issues", params=params)
        for issue in found if isinstance(found, list) else []:
            if link in str(issue.get("body") or "") and "pull_request" not in issue:
                return TrackerRef(f"{self._repo}#{issue['number']}", str(issue["html_url"]))
        return None

    async def link(self, key: str) -> TrackerRef | None:
        number = key.rpartition("#")[2].strip()
        repo = key.rpartition("#")[0] or self._repo
        if not number.isdigit() or repo != self._repo:
            return None
        status, _, issue = await self._get(f"/repos/{repo}/issues/{number}", refuse_missing=False)
        if status == 404 or "pull_request" in issue:
            return None
        return TrackerRef(f"{repo}#{number}", str(issue["html_url"]))

    async def comment(self, key: str, text: str) -> None:
        path = f"/repos/{self._repo}/issues/{key.rpartition('#')[2]}/comments"
        status, headers, body = await self._call("POST", path, json={"body": text})
        if status != 201:
            raise TrackerRefusedError(refusal(status, headers, body))

    async def has_comment(self, key: str, text: str) -> bool:
        """Among the issue's last hundred comments (GitHub lists them oldest first)."""
        path = f"/repos/{self._repo}/issues/{key.rpartition('#')[2]}/comments"
        _, headers, found = await self._get(path, params={"per_page": "100"})
        last = _last_page(headers.get("Link", ""))
        if last:
            _, _, found = await self._get(path, params={"per_page": "100", "page": last})
        comments = found if isinstance(found, list) else []
        return any(same_words(str(c.get("body", "")), text) for c in comments[-100:])

    async def search(self, words: str, limit: int = 5) -> list[TrackerMatch]:
        """Open issues of the repository (pull requests aside) that GitHub's search finds with
        any of the words (best match first; the caller judges how close each is)."""
        terms = " OR ".join(search_terms(words).split())
        query = f"repo:{self._repo} is:issue is:open {terms}"
        _, _, found = await self._get("/search/issues", params={"q": query, "per_page": "10"})
        return [
            TrackerMatch(
                f"{self._repo}#{issue['number']}", str(issue["html_url"]), str(issue["title"])
            )
            for issue in found.get("items", [])
            if "pull_request" not in issue
        ][:limit]

    async def state(self, key: str) -> TrackerState | None:
        number = key.rpartition("#")[2]
        status, _, issue = await self._get(
            f"/repos/{self._repo}/issues/{number}", refuse_missing=False
        )
        if status == 404:
            return None
        return issue_state(issue)

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None

    async def _get(
        self, path: str, *, refuse_missing: bool = True, **kwargs: Any
    ) -> tuple[int, Headers, Any]:
        status, headers, body = await self._call("GET", path, **kwargs)
        if status == 404 and not refuse_missing:
            return status, headers, body or {}
        if status != 200:
            raise TrackerRefusedError(refusal(status, headers, body))
        return status, headers, body or {}

    async def _call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Headers, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        status, headers, body = await call(
            self._session, method, self._api + path, headers=self._headers, **kwargs
        )
        if status == 403 and headers.get("retry-after"):
            # GitHub's secondary rate limit: a 403 that says how long to wait.
            raise RetryLaterError(
                f"{method} {path}: GitHub's secondary rate limit",
                retry_after=retry_after(headers),
                rate_limited=True,
            )
        if status == 403 and headers.get("x-ratelimit-remaining") == "0":
            # GitHub's primary rate limit: a 403 that says when the window resets.
            reset = float(headers.get("x-ratelimit-reset", "0") or 0)
            raise RetryLaterError(
                f"{method} {path}: GitHub's rate limit",
                retry_after=max(1.0, reset - time.time()),
                rate_limited=True,
            )
        return status, headers, body


def issue_state(issue: dict[str, Any]) -> TrackerState:
    if issue.get("state") == "closed":
        return "wont_do" if issue.get("state_reason") == "not_planned" else "done"
    labels = {str(label.get("name", "")).casefold() for label in issue.get("labels", [])}
    if issue.get("assignees") or labels & IN_PROGRESS_LABELS:
        return "in_progress"
    return "open"


def issue_body(item: NewTrackerItem) -> str:
    return f"{item.text}\n\n---\nRequested by {item.stakeholder}, via Heatshield ({item.link})."


def _last_page(link: str) -> str | None:
    """The last page's number in GitHub's Link header, when there is more than one page."""
    for part in link.split(","):
        if 'rel="last"' in part:
            url = part.partition("<")[2].partition(">")[0]
            [page] = parse_qs(urlsplit(url).query).get("page", [""])[:1] or [""]
            return page if page.isdigit() else None
    return None


def refusal(status: int, headers: Headers, body: Any) -> str:
    """GitHub's refusal in plain words for the PO."""
    message = body.get("message", "") if isinstance(body, dict) else ""
    details = [
        str(error.get("message") or f"{error.get('field')} is {error.get('code')}")
        for error in (body.get("errors", []) if isinstance(body, dict) else [])
        if isinstance(error, dict)
    ]
    if status == 401:
        return f"GitHub did not accept the token ({TOKEN_SETTING}): {message or 'bad credentials'}"
    if status == 403:
        return f"the token may not do this in GitHub: {message or 'forbidden'}"
    if status == 410:
        return "issues are turned off in the repository"
    said = "; ".join([message, *details]) if message or details else f"answered {status}"
    return f"GitHub refused it: {said}"
