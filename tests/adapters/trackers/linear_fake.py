"""A fake Linear GraphQL API at the HTTP level: the operations Heatshield sends, answered in
the shapes Linear's schema gives (viewer, teams, issues, issueCreate), errors as Linear puts
them (HTTP 200 or 400 with an `errors` list and its extension codes)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

API_KEY = "lin_api_heatshieldtest0000000000000000"
TEAM = "ENG"
TEAM_ID = "9cfb482a-81e3-4154-b5b9-2c805e70a02d"


class FakeLinear:
    def __init__(self) -> None:
        self.issues: list[dict[str, Any]] = [
            {"identifier": "ENG-7", "sortOrder": -120.5, "description": "an older issue",
             "url": "https://linear.app/acme/issue/ENG-7"},
        ]  # fmt: skip
        self.creates: list[dict[str, Any]] = []
        self.next_errors: list[tuple[int, dict[str, Any]]] = []
        self.comments: list[tuple[str, str]] = []  # issue id, body

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/graphql", self.graphql)
        return app

    async def graphql(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != API_KEY:
            return web.json_response({"errors": [{
                "message": "Authentication required, not authenticated",
                "extensions": {"type": "authentication error", "code": "AUTHENTICATION_ERROR",
                               "userPresentableMessage": "You need to authenticate."},
            }]}, status=400)  # fmt: skip
        body = await request.json()
        operation = re.match(r"\s*(query|mutation)\s+(\w+)", body["query"])
        name = operation.group(2) if operation else ""
        variables = body.get("variables") or {}
        if name == "Check":
            teams = [{"id": TEAM_ID, "key": TEAM, "name": "Engineering"}]
            found = [t for t in teams if t["key"] == variables.get("team")]
            return self._data({"viewer": {"name": "Petra de Vries", "email": "petra@acme.example"},
                                "teams": {"nodes": found}})  # fmt: skip
        if name == "Order":
            return self._data(
                {"issues": {"nodes": [{"sortOrder": i["sortOrder"]} for i in self.issues]}}
            )
        if name == "Find":
            link = variables.get("link", "")
            nodes = [i for i in self.issues if link and link in i["description"]][:1]
            return self._data({"issues": {"nodes": nodes}})
        if name == "State":
            wanted = variables.get("id")
            found = next((i for i in self.issues if i["identifier"] == wanted), None)
            if found is None:
                return web.json_response({"errors": [{"message": "Entity not found: Issue",
                    "extensions": {"code": "INVALID_INPUT"}}], "data": None})  # fmt: skip
            state = {"type": found.get("state_type", "backlog")}
            return self._data({"issue": {
                "id": found.get("id", wanted), "identifier": wanted, "url": found["url"],
                "state": state,
            }})  # fmt: skip
        if name == "Search":
            words = str(variables.get("term", "")).lower().split()
            open_states = ("triage", "backlog", "unstarted", "started")
            nodes = [
                {"identifier": i["identifier"], "url": i["url"], "title": i.get("title", "")}
                for i in self.issues
                if i.get("state_type", "backlog") in open_states
                and any(w in str(i.get("title", "")).lower() for w in words)
            ]  # fmt: skip
            return self._data({"searchIssues": {"nodes": nodes[: int(variables["first"])]}})
        if name == "Comment":
            comment_input = variables["input"]
            self.comments.append((comment_input["issueId"], comment_input["body"]))
            return self._data({"commentCreate": {"success": True}})
        if name == "Comments":
            wanted = variables.get("id")
            found = next((i for i in self.issues if i["identifier"] == wanted), None)
            if found is None:
                return web.json_response({"errors": [{"message": "Entity not found: Issue",
                    "extensions": {"code": "INVALID_INPUT"}}], "data": None})  # fmt: skip
            nodes = [{"body": body} for on, body in self.comments if on == found.get("id")]
            return self._data({"issue": {"comments": {"nodes": nodes[-50:]}}})
        if name == "Create":
            if self.next_errors:
                status, answer = self.next_errors.pop(0)
                return web.json_response(answer, status=status)
            issue_input = variables["input"]
            self.creates.append(issue_input)
            number = 100 + len(self.creates)
            issue = {
                "id": f"c6d1e4f0-0000-4000-8000-{number:012d}",
                "identifier": f"{TEAM}-{number}",
                "url": f"https://linear.app/acme/issue/{TEAM}-{number}",
                "description": issue_input.get("description", ""),
                "title": issue_input.get("title", ""),
                "sortOrder": issue_input.get("sortOrder", 0.0),
            }
            self.issues.append(issue)
            return self._data({"issueCreate": {"success": True, "issue": {
                k: issue[k] for k in ("id", "identifier", "url")
            }}})  # fmt: skip
        return web.json_response({"errors": [{"message": f"Unknown operation {name}"}]}, status=400)

    @staticmethod
    def _data(data: dict[str, Any]) -> web.Response:
        return web.json_response({"data": data})


def issue_update(identifier: str, state_type: str, state_name: str) -> dict[str, Any]:
    """An Issue `update` webhook as Linear documents it, its workflow state changed."""
    return {
        "action": "update",
        "actor": {"id": "2e8c7b5a-0000-4000-8000-000000000001", "name": "Dev Eloper",
                  "type": "user"},
        "createdAt": "2026-11-24T09:12:00.000Z",
        "data": {
            "id": "c6d1e4f0-0000-4000-8000-000000000101",
            "identifier": identifier,
            "title": "Please add a CSV export to the expense overview",
            "teamId": TEAM_ID,
            "team": {"id": TEAM_ID, "key": TEAM, "name": "Engineering"},
            "state": {"id": "5b1c0000-0000-4000-8000-000000000003", "name": state_name,
                      "type": state_type, "color": "#5e6ad2"},
        },
        "updatedFrom": {"stateId": "5b1c0000-0000-4000-8000-000000000002",
                        "updatedAt": "2026-11-24T09:00:00.000Z"},
        "url": f"https://linear.app/acme/issue/{identifier}",
        "type": "Issue",
        "organizationId": "0f3b0000-0000-4000-8000-000000000009",
        "webhookTimestamp": 1764321120000,
        "webhookId": "7d2e0000-0000-4000-8000-000000000004",
    }  # fmt: skip
