"""A fake Jira Cloud at the HTTP level: the REST calls Heatshield makes, answered in the shapes
Atlassian documents (myself, project, create issue, JQL search, Jira Software's rank)."""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web

EMAIL = "petra@acme.example"
TOKEN = "ATATT3xFfGF0-heatshield-test"
PROJECT = "APP"


class FakeJira:
    def __init__(self) -> None:
        self.issues: dict[str, dict[str, Any]] = {}
        self.rank: list[str] = ["APP-100"]  # the project's backlog order, first first
        self.calls: list[tuple[str, str, Any]] = []
        self.next_creates: list[tuple[int, dict[str, Any]]] = []
        # Each issue's status category, status and resolution, as people moved it.
        self.statuses: dict[str, tuple[str, str, str | None]] = {}
        self.comments: list[tuple[str, Any]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/rest/api/3/myself", self.myself)
        app.router.add_get("/rest/api/3/project/{key}", self.project)
        app.router.add_post("/rest/api/3/issue", self.create)
        app.router.add_get("/rest/api/3/search/jql", self.search)
        app.router.add_put("/rest/agile/1.0/issue/rank", self.rank_issues)
        app.router.add_get("/rest/api/3/issue/{key}", self.issue)
        app.router.add_post("/rest/api/3/issue/{key}/comment", self.comment)
        app.router.add_get("/rest/api/3/issue/{key}/comment", self.comments_of)
        return app

    def _authorised(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    @staticmethod
    def _unauthorised() -> web.Response:
        return web.Response(
            status=401, text="Client must be authenticated to access this resource."
        )

    async def myself(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._unauthorised()
        return web.json_response(
            {"accountId": "5b10ac8d82e05b22cc7d4ef5", "emailAddress": EMAIL,
             "displayName": "Petra de Vries", "active": True, "timeZone": "Europe/Amsterdam"}
        )  # fmt: skip

    async def project(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._unauthorised()
        key = request.match_info["key"]
        if key != PROJECT:
            return web.json_response(
                {"errorMessages": [f"No project could be found with key '{key}'."], "errors": {}},
                status=404,
            )
        return web.json_response(
            {"id": "10000", "key": PROJECT, "name": "Acme App", "projectTypeKey": "software"}
        )

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(("POST", request.path, body))
        if not self._authorised(request):
            return self._unauthorised()
        if self.next_creates:
            status, answer = self.next_creates.pop(0)
            return web.json_response(answer, status=status)
        number = len(self.issues) + 1
        key = f"{PROJECT}-{number}"
        self.issues[key] = body["fields"]
        self.rank.append(key)  # a new issue goes to the bottom of the backlog
        return web.json_response(
            {"id": str(10000 + number), "key": key,
             "self": f"{request.url.origin()}/rest/api/3/issue/{10000 + number}"},
            status=201,
        )  # fmt: skip

    def _text_search(self, jql: str) -> list[str]:
        """`text ~ "words"`: Jira's text search ranks issues with any of the words; here, the
        project's issues not done whose summary holds one, most words first."""
        words = jql.split('text ~ "')[1].split('"')[0].lower().split()
        scored = []
        for key, fields in self.issues.items():
            category = self.statuses.get(key, ("new", "", None))[0]
            hits = sum(w in str(fields.get("summary", "")).lower() for w in words)
            if hits and category != "done":
                scored.append((-hits, key))
        return [key for _, key in sorted(scored)]

    async def search(self, request: web.Request) -> web.Response:
        jql = request.query.get("jql", "")
        self.calls.append(("GET", request.path, jql))
        if not self._authorised(request):
            return self._unauthorised()
        if 'text ~ "\\"' in jql:  # a phrase: the link a create wrote
            wanted = jql.split('\\"')[1]
            keys = [k for k, fields in self.issues.items() if wanted in str(fields["description"])]
        elif "text ~" in jql:
            keys = self._text_search(jql)
        else:
            excluded = jql.split("key != ")[1].split()[0] if "key != " in jql else None
            keys = [k for k in self.rank if k != excluded]
        limit = int(request.query.get("maxResults", "50"))
        issues = [
            {"id": k, "key": k, "fields": {"summary": self.issues.get(k, {}).get("summary", "")}}
            for k in keys[:limit]
        ]
        return web.json_response({"issues": issues, "isLast": True})

    async def rank_issues(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(("PUT", request.path, body))
        for key in body["issues"]:
            self.rank.remove(key)
            self.rank.insert(self.rank.index(body["rankBeforeIssue"]), key)
        return web.Response(status=204)

    async def issue(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._unauthorised()
        key = request.match_info["key"]
        if key not in self.issues:
            return web.json_response(
                {"errorMessages": ["Issue does not exist or you do not have permission to see it."],
                 "errors": {}}, status=404,
            )  # fmt: skip
        category, status, resolution = self.statuses.get(key, ("new", "To Do", None))
        return web.json_response({"id": "10001", "key": key, "fields": {
            "project": {"id": "10000", "key": key.partition("-")[0], "name": "Acme App"},
            "status": {"name": status, "statusCategory": {"key": category}},
            "resolution": {"name": resolution} if resolution else None,
        }})  # fmt: skip

    async def comment(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._unauthorised()
        body = await request.json()
        self.comments.append((request.match_info["key"], body["body"]))
        return web.json_response({"id": "10060", "body": body["body"]}, status=201)

    async def comments_of(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._unauthorised()
        key = request.match_info["key"]
        every = [
            {"id": str(10060 + n), "body": body, "author": {"displayName": "Petra de Vries"}}
            for n, (on, body) in enumerate(self.comments)
            if on == key
        ]
        if request.query.get("orderBy") == "-created":
            every.reverse()
        most = int(request.query.get("maxResults", "5000"))
        return web.json_response(
            {"startAt": 0, "maxResults": most, "total": len(every), "comments": every[:most]}
        )

    def creates(self) -> list[Any]:
        return [body for method, path, body in self.calls if method == "POST"]


def issue_updated(key: str, category: str, status: str, resolution: str | None) -> dict[str, Any]:
    """A jira:issue_updated delivery as Atlassian documents it, its status changed."""
    return {
        "timestamp": 1764667200000,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": {"accountId": "5b10ac8d82e05b22cc7d4ef6", "displayName": "Dev Eloper"},
        "issue": {
            "id": "10001",
            "self": "https://acme.atlassian.net/rest/api/3/issue/10001",
            "key": key,
            "fields": {
                "summary": "Please add a CSV export to the expense overview",
                "project": {"id": "10000", "key": PROJECT, "name": "Acme App"},
                "status": {"name": status, "statusCategory": {"id": 3, "key": category}},
                "resolution": {"name": resolution} if resolution else None,
            },
        },
        "changelog": {
            "id": "10105",
            "items": [
                {
                    "field": "status",
                    "fieldtype": "jira",
                    "fromString": "In Progress",
                    "toString": status,
                }
            ],
        },
    }
