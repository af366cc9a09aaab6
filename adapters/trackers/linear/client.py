"""Linear as a workspace's tracker, over its GraphQL API with plain aiohttp: three queries and
one mutation do not earn a client library (Linear's own SDK is TypeScript).

An approved request becomes an issue of the team; "at the top" gives it a sort order before
the team's open issues (Linear's manual order), else it goes where Linear puts new ones.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from adapters.trackers.http import call
from adapters.trackers.linear.webhook import STATE_TYPES
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

DEFAULT_API = "https://api.linear.app/graphql"
KEY_SETTING = "HEATSHIELD_LINEAR_API_KEY"
CHECK = """query Check($team: String!) {
  viewer { name email }
  teams(filter: { key: { eq: $team } }) { nodes { id key name } }
}"""
OPEN_ORDER = """query Order($team: String!) {
  issues(first: 50, filter: { team: { key: { eq: $team } },
         state: { type: { in: ["triage", "backlog", "unstarted"] } } }) { nodes { sortOrder } }
}"""
CREATE = """mutation Create($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { id identifier url } }
}"""
FIND = """query Find($team: String!, $link: String!) {
  issues(first: 1, filter: { team: { key: { eq: $team } },
         description: { contains: $link } }) { nodes { identifier url } }
}"""


SEARCH = """query Search($term: String!, $team: String!, $first: Int!) {
  searchIssues(term: $term, first: $first, filter: { team: { key: { eq: $team } },
               state: { type: { nin: ["completed", "canceled"] } } }) {
    nodes { identifier url title }
  }
}"""
COMMENTS = """query Comments($id: String!) {
  issue(id: $id) { comments(last: 50) { nodes { body } } }
}"""
STATE = """query State($id: String!) { issue(id: $id) { id identifier url state { type } } }"""
COMMENT = """mutation Comment($input: CommentCreateInput!) {
  commentCreate(input: $input) { success }
}"""


class LinearTracker:
    def __init__(self, settings: TrackerSettings, api_key: str) -> None:
        if not settings.team:
            raise TrackerRefusedError("Linear needs the team's key")
        self._team = settings.team
        self._api = settings.url or DEFAULT_API
        self._headers = {"Authorization": api_key, "Content-Type": "application/json"}
        self._session: aiohttp.ClientSession | None = None
        self._team_id: str | None = None

    async def check(self) -> str:
        data = await self._query(CHECK, team=self._team)
        teams = data["teams"]["nodes"]
        if not teams:
            raise TrackerRefusedError(f"Linear has no team {self._team} this key can see")
        viewer = data["viewer"]
        return (
            f"connected to Linear team {teams[0]['key']} ({teams[0]['name']}) "
            f"as {viewer.get('name') or viewer.get('email')}"
        )

    async def create(self, item: NewTrackerItem) -> TrackerRef:
        team_id = await self._team_of()
        issue: dict[str, Any] = {
            "teamId": team_id,
            "title": item.title[:255],
            "description": f"{item.text}\n\n---\nRequested by {item.stakeholder}, via "
            f"Heatshield ({item.link}).",
        }
        if item.top:
            orders = await self._query(OPEN_ORDER, team=self._team)
            values = [
                n["sortOrder"] for n in orders["issues"]["nodes"] if n.get("sortOrder") is not None
            ]
            issue["sortOrder"] = (min(values) if values else 0.0) - 1.0
        created = (await self._query(CREATE, input=issue))["issueCreate"]
        if not created.get("success") or not created.get("issue"):
            raise TrackerRefusedError("Linear did not create the issue")
        return TrackerRef(str(created["issue"]["identifier"]), str(created["issue"]["url"]))

    async def find(self, link: str) -> TrackerRef | None:
        nodes = (await self._query(FIND, team=self._team, link=link))["issues"]["nodes"]
        return TrackerRef(str(nodes[0]["identifier"]), str(nodes[0]["url"])) if nodes else None

    async def link(self, key: str) -> TrackerRef | None:
        data = await self._query(STATE, missing_ok=True, id=key.strip().upper())
        issue = data.get("issue") if data else None
        # An identifier starts with its team's key: another team's issue is not this backlog's.
        if not issue or not str(issue["identifier"]).startswith(f"{self._team.upper()}-"):
            return None
        return TrackerRef(str(issue["identifier"]), str(issue["url"]))

    async def comment(self, key: str, text: str) -> None:
        data = await self._query(STATE, missing_ok=True, id=key)
        issue = data.get("issue") if data else None
        if not issue:
            raise TrackerRefusedError(f"Linear has no issue {key}")
        done = await self._query(COMMENT, input={"issueId": issue["id"], "body": text})
        if not done["commentCreate"].get("success"):
            raise TrackerRefusedError("Linear did not add the comment")

    async def search(self, words: str, limit: int = 5) -> list[TrackerMatch]:
        """Open issues of the team that Linear's search finds."""
        data = await self._query(SEARCH, term=search_terms(words), team=self._team, first=limit)
        nodes = ((data or {}).get("searchIssues") or {}).get("nodes") or []
        return [
            TrackerMatch(str(node["identifier"]), str(node["url"]), str(node.get("title", "")))
            for node in nodes
        ][:limit]

    async def has_comment(self, key: str, text: str) -> bool:
        """Among the issue's fifty latest comments."""
        data = await self._query(COMMENTS, missing_ok=True, id=key)
        issue = (data.get("issue") if data else None) or {}
        nodes = (issue.get("comments") or {}).get("nodes") or []
        return any(same_words(str(node.get("body", "")), text) for node in nodes)

    async def state(self, key: str) -> TrackerState | None:
        data = await self._query(STATE, missing_ok=True, id=key)
        issue = data.get("issue") if data else None
        kind = ((issue or {}).get("state") or {}).get("type")
        return STATE_TYPES.get(kind) if isinstance(kind, str) else None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _team_of(self) -> str:
        if self._team_id is None:
            teams = (await self._query(CHECK, team=self._team))["teams"]["nodes"]
            if not teams:
                raise TrackerRefusedError(f"Linear has no team {self._team} this key can see")
            self._team_id = str(teams[0]["id"])
        return self._team_id

    async def _query(
        self, query: str, *, missing_ok: bool = False, **variables: Any
    ) -> dict[str, Any]:
        """The query's data; Linear's errors raised as the port's errors. ``missing_ok``: an
        entity Linear does not know is no error (an empty answer)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(headers=self._headers)
        status, _, body = await call(
            self._session, "POST", self._api, json={"query": query, "variables": variables}
        )
        errors = body.get("errors") if isinstance(body, dict) else None
        if (
            errors
            and missing_ok
            and all("not found" in str(error.get("message", "")).casefold() for error in errors)
        ):
            return {}
        if errors:
            raise graphql_error(errors)
        if status != 200 or not isinstance(body, dict) or "data" not in body:
            raise TrackerRefusedError(f"Linear answered {status}")
        return dict(body["data"])


def graphql_error(errors: list[Any]) -> Exception:
    """Linear's GraphQL errors: a rate limit waits, anything else is said in plain words."""
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    extensions = first.get("extensions") or {}
    code = str(extensions.get("code", ""))
    said = extensions.get("userPresentableMessage") or first.get("message") or "an error"
    if code == "RATELIMITED":
        return RetryLaterError(f"Linear's rate limit: {said}", rate_limited=True)
    if code == "AUTHENTICATION_ERROR":
        return TrackerRefusedError(f"Linear did not accept the API key ({KEY_SETTING})")
    return TrackerRefusedError(f"Linear refused it: {said}")
