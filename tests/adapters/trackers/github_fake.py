"""A fake GitHub REST API at the HTTP level: the calls Heatshield makes, answered in the shapes
GitHub documents (users, repositories, issues, search), with failures to order."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "ghp_heatshieldtesttoken0000000000000000"
REPO = "acme/shop"


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    # Create the issue, then never answer (the caller's time-out ends the wait).
    hang_after_create: bool = False


class FakeGitHub:
    def __init__(self) -> None:
        self.issues: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str, Any]] = []
        self.next_creates: list[Answer] = []  # answers to the next POSTs, in order
        self.comments: list[tuple[int, str]] = []
        self.indexed = 0  # how many issues the search index holds so far

    def add_issue(self, title: str, state: str = "open", body: str = "filed by the team") -> int:
        """An issue the team filed in GitHub (indexed for the search); its number."""
        number = len(self.issues) + 1
        self.issues.append({
            "id": 1000 + number, "number": number, "title": title, "body": body,
            "state": state, "state_reason": None, "assignees": [], "labels": [],
            "html_url": f"https://github.com/{REPO}/issues/{number}",
        })  # fmt: skip
        self.index()
        return number

    def index(self) -> None:
        """The search index catches up with every issue made so far."""
        self.indexed = len(self.issues)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/user", self.user)
        app.router.add_get("/repos/{owner}/{repo}", self.repo)
        app.router.add_post("/repos/{owner}/{repo}/issues", self.create)
        app.router.add_get("/search/issues", self.search)
        app.router.add_get("/repos/{owner}/{repo}/issues", self.latest)
        app.router.add_get("/repos/{owner}/{repo}/issues/{number}", self.issue)
        app.router.add_post("/repos/{owner}/{repo}/issues/{number}/comments", self.comment)
        app.router.add_get("/repos/{owner}/{repo}/issues/{number}/comments", self.comments_of)
        return app

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {TOKEN}"

    def _unauthorised(self) -> web.Response:
        return web.json_response(
            {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest",
             "status": "401"}, status=401,
        )  # fmt: skip

    async def user(self, request: web.Request) -> web.Response:
        self.calls.append(("GET", request.path, None))
        if not self._authorised(request):
            return self._unauthorised()
        return web.json_response({"login": "octocat", "id": 1, "type": "User"})

    async def repo(self, request: web.Request) -> web.Response:
        self.calls.append(("GET", request.path, None))
        if not self._authorised(request):
            return self._unauthorised()
        full_name = f"{request.match_info['owner']}/{request.match_info['repo']}"
        if full_name != REPO:
            return web.json_response({"message": "Not Found", "status": "404"}, status=404)
        return web.json_response(
            {"id": 1296269, "name": "shop", "full_name": REPO, "private": True, "has_issues": True,
             "html_url": f"https://github.com/{REPO}"}
        )  # fmt: skip

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(("POST", request.path, body))
        if not self._authorised(request):
            return self._unauthorised()
        answer = self.next_creates.pop(0) if self.next_creates else None
        if answer is not None and (answer.status != 201 or answer.body):
            return web.json_response(answer.body, status=answer.status, headers=answer.headers)
        number = len(self.issues) + 1
        issue = {
            "id": 1000 + number,
            "number": number,
            "title": body["title"],
            "body": body.get("body"),
            "state": "open",
            "state_reason": None,
            "assignees": [],
            "labels": [{"name": name} for name in body.get("labels", [])],
            "html_url": f"https://github.com/{REPO}/issues/{number}",
            "url": f"https://api.github.com/repos/{REPO}/issues/{number}",
        }
        self.issues.append(issue)
        if answer is not None and answer.hang_after_create:
            await asyncio.Event().wait()  # cancelled when the server closes
        return web.json_response(issue, status=201)

    async def latest(self, request: web.Request) -> web.Response:
        """The repository's issues, newest first as asked (sort=created, direction=desc)."""
        self.calls.append(("GET", request.path, dict(request.query)))
        if not self._authorised(request):
            return self._unauthorised()
        newest = list(reversed(self.issues)) if request.query.get("direction") == "desc" else []
        size = int(request.query.get("per_page", "30"))
        return web.json_response((newest or self.issues)[:size])

    async def search(self, request: web.Request) -> web.Response:
        """GitHub's search, over its index: an issue made since the last ``index()`` is not
        found yet (the real index lags by seconds to minutes)."""
        query = request.query.get("q", "")
        self.calls.append(("GET", request.path, query))
        if not self._authorised(request):
            return self._unauthorised()
        quoted = query.split('"')[1] if query.count('"') >= 2 else ""
        indexed = self.issues[: self.indexed]
        if quoted:
            found = [issue for issue in indexed if quoted in (issue["body"] or "")]
        else:  # words joined by OR: open issues with any, those with most first
            words = [w.lower() for w in query.split() if ":" not in w and w != "OR"]

            def hits(issue: dict[str, Any]) -> int:
                text = f"{issue['title']} {issue['body'] or ''}".lower()
                return sum(w in text for w in words)

            found = sorted(
                (i for i in indexed if i["state"] == "open" and hits(i)), key=lambda i: -hits(i)
            )
        return web.json_response(
            {"total_count": len(found), "incomplete_results": False, "items": found}
        )

    async def issue(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._unauthorised()
        number = int(request.match_info["number"])
        if not 0 < number <= len(self.issues):
            return web.json_response({"message": "Not Found", "status": "404"}, status=404)
        return web.json_response(self.issues[number - 1])

    async def comment(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._unauthorised()
        body = await request.json()
        number = int(request.match_info["number"])
        if not 0 < number <= len(self.issues):
            return web.json_response({"message": "Not Found", "status": "404"}, status=404)
        self.comments.append((number, body["body"]))
        return web.json_response(
            {"id": 3000 + len(self.comments), "body": body["body"], "user": {"login": "octocat"}},
            status=201,
        )

    async def comments_of(self, request: web.Request) -> web.Response:
        """An issue's comments, oldest first, a page at a time with GitHub's Link header."""
        if not self._authorised(request):
            return self._unauthorised()
        number = int(request.match_info["number"])
        every = [
            {"id": 3001 + n, "body": body, "user": {"login": "octocat"}}
            for n, (on, body) in enumerate(self.comments)
            if on == number
        ]
        size, page = int(request.query.get("per_page", "30")), int(request.query.get("page", "1"))
        pages = max(1, -(-len(every) // size))
        headers = {}
        if pages > 1:
            url = request.url.with_query({"per_page": str(size), "page": str(pages)})
            headers["Link"] = f'<{url}>; rel="last"'
        return web.json_response(every[(page - 1) * size : page * size], headers=headers)

    def posts(self) -> list[Any]:
        return [body for method, _, body in self.calls if method == "POST"]


@contextmanager
def running_in_a_thread(fake: Any) -> Iterator[str]:
    """The fake on a free local port, in a thread of its own (for the CLI, which runs its own
    event loop); yields its base URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def start() -> None:
        runner = web.AppRunner(fake.app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        holder["runner"] = runner
        holder["url"] = f"http://127.0.0.1:{runner.addresses[0][1]}"
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop)
    ready.wait(10)
    try:
        yield str(holder["url"])
    finally:
        asyncio.run_coroutine_threadsafe(holder["runner"].cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
