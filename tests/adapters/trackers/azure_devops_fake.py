"""A fake Azure DevOps REST API (7.1) at the HTTP level: the calls Heatshield makes, answered
in the shapes Microsoft documents (projects, connectionData, work items as JSON Patch, WIQL),
a token it does not accept answered 203 with the sign-in page, as Azure DevOps does."""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web

PAT = "azdo-pat-heatshield-test-0000000000000000000000000000"
ORG = "acme"
PROJECT = "Shop"


class FakeAzureDevOps:
    def __init__(self) -> None:
        self.items: dict[int, dict[str, Any]] = {
            7: {"System.Title": "An older story", "System.State": "New",
                "Microsoft.VSTS.Common.BacklogPriority": 1999.0, "System.Description": ""},
        }  # fmt: skip
        self.creates: list[tuple[str, list[dict[str, Any]]]] = []
        self.next_creates: list[tuple[int, dict[str, Any]]] = []
        self.comments: list[tuple[int, str]] = []  # work item, HTML text

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(f"/{ORG}/_apis/projects/{{project}}", self.project)
        app.router.add_get(f"/{ORG}/_apis/connectionData", self.connection)
        app.router.add_post(f"/{ORG}/{{project}}/_apis/wit/workitems/{{type}}", self.create)
        app.router.add_post(f"/{ORG}/{{project}}/_apis/wit/wiql", self.wiql)
        app.router.add_get(f"/{ORG}/_apis/wit/workitems/{{id}}", self.work_item)
        app.router.add_get(f"/{ORG}/_apis/wit/workitems", self.work_items)
        comments = f"/{ORG}/{{project}}/_apis/wit/workItems/{{id}}/comments"
        app.router.add_post(comments, self.comment)
        app.router.add_get(comments, self.comments_of)
        return app

    def _authorised(self, request: web.Request) -> bool:
        expected = base64.b64encode(f":{PAT}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    @staticmethod
    def _sign_in() -> web.Response:
        return web.Response(status=203, text="<html><title>Azure DevOps Services | Sign In</title>")

    async def project(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._sign_in()
        if request.match_info["project"] != PROJECT:
            missing = request.match_info["project"]
            return web.json_response(
                {"$id": "1",
                 "message": f"TF200016: The following project does not exist: {missing}.",
                 "typeKey": "ProjectDoesNotExistWithNameException"},
                status=404,
            )  # fmt: skip
        return web.json_response(
            {"id": "eb6e4656-77fc-42a1-9181-4c6d8e9da5d1", "name": PROJECT, "state": "wellFormed"}
        )

    async def connection(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._sign_in()
        return web.json_response(
            {"authenticatedUser": {"id": "a3c1", "providerDisplayName": "Petra de Vries"}}
        )

    async def create(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._sign_in()
        assert request.content_type == "application/json-patch+json"
        patch = await request.json()
        kind = request.match_info["type"].removeprefix("$")
        self.creates.append((kind, patch))
        if self.next_creates:
            status, answer = self.next_creates.pop(0)
            return web.json_response(answer, status=status)
        work_item = max(self.items) + 1
        fields = {op["path"].removeprefix("/fields/"): op["value"] for op in patch}
        fields["System.State"] = "New"
        self.items[work_item] = fields
        base = f"{request.url.origin()}/{ORG}"
        return web.json_response({
            "id": work_item, "rev": 1, "fields": {**fields, "System.WorkItemType": kind},
            "url": f"{base}/_apis/wit/workItems/{work_item}",
            "_links": {"html": {"href": f"{base}/{PROJECT}/_workitems/edit/{work_item}"}},
        })  # fmt: skip

    async def wiql(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._sign_in()
        query = (await request.json())["query"]
        if "CONTAINS WORDS" in query:  # any of the words in the title, open items only
            words = [part.split("'")[0].lower() for part in query.split("CONTAINS WORDS '")[1:]]
            ids = [
                i for i, f in self.items.items()
                if f["System.State"] not in ("Closed", "Removed", "Done")
                and any(w in str(f.get("System.Title", "")).lower() for w in words)
            ]  # fmt: skip
        elif "CONTAINS" in query:
            wanted = query.split("CONTAINS '")[1].rstrip("'")
            ids = [i for i, f in self.items.items() if wanted in str(f.get("System.Description"))]
        else:
            field = "Microsoft.VSTS.Common.BacklogPriority"
            ordered = sorted(self.items, key=lambda i: self.items[i].get(field, 1e9))
            ids = [i for i in ordered if self.items[i]["System.State"] not in ("Closed", "Removed")]
        top = int(request.query.get("$top", "50"))
        return web.json_response(
            {"queryType": "flat", "workItems": [{"id": i, "url": f"wi/{i}"} for i in ids[:top]]}
        )

    async def work_item(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._sign_in()
        work_item = int(request.match_info["id"])
        if work_item not in self.items:
            return web.json_response(
                {"$id": "1", "message": f"TF401232: Work item {work_item} does not exist.",
                 "typeKey": "WorkItemUnauthorizedAccessException"}, status=404,
            )  # fmt: skip
        fields = {"System.TeamProject": PROJECT, **self.items[work_item]}
        return web.json_response({"id": work_item, "rev": 1, "fields": fields})

    async def work_items(self, request: web.Request) -> web.Response:
        """Several work items by id (`ids=1,2`), with the fields asked for."""
        if not self._authorised(request):
            return self._sign_in()
        ids = [int(i) for i in request.query.get("ids", "").split(",") if i]
        wanted = request.query.get("fields", "").split(",")
        value = [
            {"id": i, "rev": 1, "fields": {k: v for k, v in self.items[i].items() if k in wanted}}
            for i in ids
            if i in self.items
        ]
        return web.json_response({"count": len(value), "value": value})

    async def comment(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._sign_in()
        assert request.query.get("api-version", "").startswith("7.1-preview")
        work_item = int(request.match_info["id"])
        text = (await request.json())["text"]
        self.comments.append((work_item, text))
        return web.json_response(
            {"workItemId": work_item, "id": len(self.comments), "version": 1, "text": text}
        )

    async def comments_of(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._sign_in()
        work_item = int(request.match_info["id"])
        every = [
            {"workItemId": on, "id": n + 1, "version": 1, "text": text}
            for n, (on, text) in enumerate(self.comments)
            if on == work_item
        ]
        if request.query.get("order") == "desc":
            every.reverse()
        top = int(request.query.get("$top", "200"))
        return web.json_response(
            {"totalCount": len(every), "count": len(every[:top]), "comments": every[:top]}
        )


def work_item_updated(work_item: int, state: str, event_id: str) -> dict[str, Any]:
    """A workitem.updated service-hook event as Microsoft documents it, its state changed."""
    return {
        "subscriptionId": "00ca946b-2fe9-4f2a-ae2f-40d5c48001bc",
        "notificationId": 7,
        "id": event_id,
        "eventType": "workitem.updated",
        "publisherId": "tfs",
        "resource": {
            "id": 5,
            "workItemId": work_item,
            "rev": 3,
            "revisedBy": {"id": "e5a5f7f8", "displayName": "Dev Eloper"},
            "fields": {"System.State": {"oldValue": "New", "newValue": state}},
            "revision": {
                "id": work_item,
                "rev": 3,
                "fields": {"System.TeamProject": PROJECT, "System.State": state,
                           "System.WorkItemType": "User Story"},
            },
        },
        "resourceContainers": {"project": {"id": "eb6e4656-77fc-42a1-9181-4c6d8e9da5d1"}},
        "createdDate": "2026-11-24T09:12:00.000Z",
    }  # fmt: skip
