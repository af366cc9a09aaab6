"""Azure DevOps Boards as a workspace's tracker, over its REST API (7.1) with plain aiohttp:
the calls needed (the project, the token's user, create a work item, a WIQL query) do not
earn the azure-devops package, which is synchronous.

The triage's type picks the work item type (Bug for bugs and incidents, User Story
otherwise) unless the workspace set one; "at the top" sets the backlog's order field
(Microsoft.VSTS.Common.BacklogPriority unless the workspace named another, such as
Microsoft.VSTS.Common.StackRank) before the project's first item; a new item is at the
bottom already.
"""

from __future__ import annotations

import base64
import html
from typing import Any

import aiohttp

from adapters.trackers.azure_devops.webhook import STATES, html_words
from adapters.trackers.http import Headers, call
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

PAT_SETTING = "HEATSHIELD_AZURE_DEVOPS_PAT"
API = "api-version=7.1"
ORDER_FIELD = "Microsoft.VSTS.Common.BacklogPriority"
WORK_ITEM_TYPES = {"bug": "Bug", "incident": "Bug"}


class AzureDevOpsTracker:
    def __init__(self, settings: TrackerSettings, pat: str) -> None:
        if not settings.url or not settings.project:
            raise TrackerRefusedError("Azure DevOps needs the organisation's URL and the project")
        self._org = settings.url.rstrip("/")
        self._project = settings.project
        self._type = settings.issue_type
        self._order = settings.position_field or ORDER_FIELD
        basic = base64.b64encode(f":{pat}".encode()).decode()
        self._headers = {"Authorization": f"Basic {basic}", "Accept": "application/json"}
        self._session: aiohttp.ClientSession | None = None

    async def check(self) -> str:
        status, _, project = await self._call("GET", f"/_apis/projects/{self._project}?{API}")
        if status == 404:
            raise TrackerRefusedError(f"Azure DevOps has no project {self._project} here")
        if status != 200 or not isinstance(project, dict):
            raise TrackerRefusedError(refusal(status, project))
        status, _, data = await self._call("GET", f"/_apis/connectionData?{API}")
        user = (data or {}).get("authenticatedUser", {}) if isinstance(data, dict) else {}
        return (
            f"connected to Azure DevOps project {project.get('name')} "
            f"as {user.get('providerDisplayName', 'the token')}"
        )

    async def create(self, item: NewTrackerItem) -> TrackerRef:
        kind = self._type or WORK_ITEM_TYPES.get(item.type, "User Story")
        patch: list[dict[str, Any]] = [
            {"op": "add", "path": "/fields/System.Title", "value": item.title[:255]},
            {"op": "add", "path": "/fields/System.Description", "value": description(item)},
            {"op": "add", "path": "/fields/System.Tags", "value": f"heatshield; {item.type}"},
        ]
        if item.top:
            first = await self._first_order()
            patch.append({"op": "add", "path": f"/fields/{self._order}", "value": first - 1.0})
        status, _, body = await self._call(
            "POST",
            f"/{self._project}/_apis/wit/workitems/${kind}?{API}",
            json=patch,
            headers={"Content-Type": "application/json-patch+json"},
        )
        if status != 200 or not isinstance(body, dict):
            raise TrackerRefusedError(refusal(status, body))
        return self._ref(body["id"])

    async def find(self, link: str) -> TrackerRef | None:
        query = (
            "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
            f"AND [System.Description] CONTAINS '{link}'"
        )
        found = await self._wiql(query)
        return self._ref(found[0]["id"]) if found else None

    async def link(self, key: str) -> TrackerRef | None:
        work_item = key.rpartition("#")[2].strip()
        if not work_item.isdigit():
            return None
        status, _, body = await self._call(
            "GET", f"/_apis/wit/workitems/{work_item}?fields=System.TeamProject&{API}"
        )
        if status == 404:
            return None
        if status != 200 or not isinstance(body, dict):
            raise TrackerRefusedError(refusal(status, body))
        project = (body.get("fields") or {}).get("System.TeamProject")
        if str(project).lower() != self._project.lower():  # another project of the organisation
            return None
        return self._ref(int(work_item))

    async def comment(self, key: str, text: str) -> None:
        work_item = key.rpartition("#")[2]
        html_text = "".join(f"<p>{html.escape(block)}</p>" for block in text.split("\n\n"))
        status, _, body = await self._call(
            "POST",
            f"/{self._project}/_apis/wit/workItems/{work_item}/comments?api-version=7.1-preview.4",
            json={"text": html_text},
        )
        if status not in (200, 201):
            raise TrackerRefusedError(refusal(status, body))

    async def search(self, words: str, limit: int = 5) -> list[TrackerMatch]:
        """Open work items of the project whose title holds the words (WIQL)."""
        terms = search_terms(words).replace("'", " ").split() or ["-"]
        any_word = " OR ".join(f"[System.Title] CONTAINS WORDS '{term}'" for term in terms)
        query = (
            "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
            "AND [System.State] NOT IN ('Closed', 'Removed', 'Done') "
            f"AND ({any_word}) ORDER BY [System.ChangedDate] DESC"
        )
        status, _, body = await self._call(
            "POST", f"/{self._project}/_apis/wit/wiql?$top={limit}&{API}", json={"query": query}
        )
        if status != 200 or not isinstance(body, dict):
            raise TrackerRefusedError(refusal(status, body))
        ids = [int(found["id"]) for found in body.get("workItems", [])][:limit]
        if not ids:
            return []
        status, _, items = await self._call(
            "GET",
            f"/_apis/wit/workitems?ids={','.join(map(str, ids))}&fields=System.Title&{API}",
        )
        if status != 200 or not isinstance(items, dict):
            raise TrackerRefusedError(refusal(status, items))
        titles = {
            int(item["id"]): str((item.get("fields") or {}).get("System.Title", ""))
            for item in items.get("value", [])
        }
        refs = [(self._ref(work_item), titles.get(work_item, "")) for work_item in ids]
        return [TrackerMatch(ref.key, ref.url, title) for ref, title in refs]

    async def has_comment(self, key: str, text: str) -> bool:
        """Among the work item's fifty latest comments (kept as HTML)."""
        work_item = key.rpartition("#")[2]
        status, _, body = await self._call(
            "GET",
            f"/{self._project}/_apis/wit/workItems/{work_item}/comments"
            "?api-version=7.1-preview.4&$top=50&order=desc",
        )
        if status != 200 or not isinstance(body, dict):
            raise TrackerRefusedError(refusal(status, body))
        said = [html_words(str(c.get("text", ""))) for c in body.get("comments") or []]
        return any(same_words(words, text) for words in said)

    async def state(self, key: str) -> TrackerState | None:
        work_item = key.rpartition("#")[2]
        status, _, body = await self._call(
            "GET", f"/_apis/wit/workitems/{work_item}?fields=System.State&{API}"
        )
        if status == 404:
            return None
        if status != 200 or not isinstance(body, dict):
            raise TrackerRefusedError(refusal(status, body))
        return STATES.get(str(body.get("fields", {}).get("System.State", "")).casefold())

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _ref(self, work_item_id: int) -> TrackerRef:
        return TrackerRef(
            f"{self._project}#{work_item_id}",
            f"{self._org}/{self._project}/_workitems/edit/{work_item_id}",
        )

    async def _first_order(self) -> float:
        """The order field's value of the project's first open item (0 when there is none)."""
        query = (
            f"SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
            f"AND [System.State] <> 'Closed' AND [System.State] <> 'Removed' "
            f"ORDER BY [{self._order}] ASC"
        )
        found = await self._wiql(query, top=1)
        if not found:
            return 0.0
        status, _, body = await self._call(
            "GET", f"/_apis/wit/workitems/{found[0]['id']}?fields={self._order}&{API}"
        )
        value = (body or {}).get("fields", {}).get(self._order) if status == 200 else None
        return float(value) if isinstance(value, int | float) else 0.0

    async def _wiql(self, query: str, top: int = 1) -> list[dict[str, Any]]:
        status, _, body = await self._call(
            "POST", f"/{self._project}/_apis/wit/wiql?$top={top}&{API}", json={"query": query}
        )
        if status != 200 or not isinstance(body, dict):
            raise TrackerRefusedError(refusal(status, body))
        return list(body.get("workItems", []))

    async def _call(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> tuple[int, Headers, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(headers=self._headers)
        status, answer_headers, body = await call(
            self._session, method, self._org + path, headers=headers, allow_redirects=False,
            **kwargs,
        )  # fmt: skip
        # A token Azure DevOps does not accept is answered 203 or a redirect to the sign-in page.
        if status in (203, 302):
            raise TrackerRefusedError(f"Azure DevOps did not accept the token ({PAT_SETTING})")
        return status, answer_headers, body


def description(item: NewTrackerItem) -> str:
    """The request as the HTML Azure DevOps keeps in System.Description."""
    blocks = [
        *item.text.split("\n\n"),
        f"Requested by {item.stakeholder}, via Heatshield ({item.link}).",
    ]
    return "".join(f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>" for block in blocks)


def refusal(status: int, body: Any) -> str:
    if status == 401:
        return f"Azure DevOps did not accept the token ({PAT_SETTING})"
    message = body.get("message") if isinstance(body, dict) else None
    return f"Azure DevOps refused it: {message or f'answered {status}'}"
