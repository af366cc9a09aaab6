"""The four fake trackers behind one face, for tests that go round the loop on any of them:
serve the fake, connect a workspace to it, and say the first item's key and link, and how
that tracker's webhook says the item is done."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.kernel.trackers import TrackerSettings
from bot.runtime.app import Runtime
from handlers.tracker_settings import put_tracker
from tests.adapters.trackers import azure_devops_fake, github_fake, jira_fake, linear_fake

SECRET = "shared-secret-for-every-kind"
KINDS = ("jira", "azure-devops", "github", "linear")


@dataclass
class Connected:
    kind: str
    key: str  # the first item the fake creates
    url: str
    # Delivers the tracker's own webhook saying the item is done (a delivery id given).
    done: Callable[[TestClient, str], Awaitable[Any]]  # type: ignore[type-arg]
    created: Callable[[], int]  # how many items the fake holds that Heatshield made
    comments: Callable[[], int] = lambda: 0  # how many comments Heatshield added
    # Comments to make, then answer 504 for, as a gateway that gave up waiting would.
    lost_comment_answers: int = 0
    fake: Any = None  # the fake tracker itself, to put items in
    settings: TrackerSettings | None = None


async def done_delivered_twice(connected: Connected, client: TestClient) -> list[int]:  # type: ignore[type-arg]
    """The tracker's "done" webhook delivered twice under one delivery id (as trackers do
    after a time-out): how many events each delivery added (1, then 0 for the duplicate)."""
    accepted = []
    for _ in range(2):
        response = await connected.done(client, "delivery-1")
        assert response.status == 200
        accepted.append((await response.json())["accepted"])
    return accepted


def _adds_a_comment(request: web.Request, body: bytes) -> bool:
    if request.method != "POST":
        return False
    return request.path.endswith(("/comments", "/comment")) or b"mutation Comment" in body


def _losing_answers(connected: Callable[[], Connected | None]) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        found = connected()
        losing = found is not None and found.lost_comment_answers > 0
        if found is not None and losing and _adds_a_comment(request, await request.read()):
            found.lost_comment_answers -= 1
            return web.json_response({"message": "Gateway Timeout"}, status=504)
        return response

    return middleware


@asynccontextmanager
async def tracker(
    kind: str, runtime: Runtime, workspace_id: int, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Connected]:
    """The fake tracker of this kind, served, and the workspace connected to it."""
    fake, settings, connected = _setup(kind, monkeypatch)
    made: list[Connected] = []
    app = fake.app()
    app.middlewares.append(_losing_answers(lambda: made[0] if made else None))
    server = TestServer(app)
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    settings = TrackerSettings(**{**settings, "url": settings["url"].format(base=base)})
    async with runtime.db.transaction() as uow:
        workspace = await uow.workspaces.by_id(workspace_id=workspace_id)
        assert workspace is not None
        await put_tracker(uow, workspace, settings, "connected", runtime.services.clock.now())
    made.append(connected(base))
    made[0].comments = lambda: len(fake.comments)
    made[0].fake, made[0].settings = fake, settings
    try:
        yield made[0]
    finally:
        await server.close()


def _setup(kind: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, dict[str, Any], Any]:
    if kind == "github":
        monkeypatch.setenv("HEATSHIELD_GITHUB_TOKEN", github_fake.TOKEN)
        fake = github_fake.FakeGitHub()
        repo = github_fake.REPO

        async def gh_done(client: TestClient, delivery: str) -> Any:  # type: ignore[type-arg]
            body = json.dumps({
                "action": "closed",
                "issue": {"number": 1, "state": "closed", "state_reason": "completed"},
                "repository": {"full_name": repo}, "sender": {"login": "dev"},
            }).encode()  # fmt: skip
            signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            headers = {"X-GitHub-Event": "issues", "X-GitHub-Delivery": delivery,
                       "X-Hub-Signature-256": signature}  # fmt: skip
            return await client.post("/trackers/github/webhook", data=body, headers=headers)

        settings = {"kind": "github", "url": "{base}", "repo": repo, "webhook_secret": SECRET}
        return fake, settings, lambda base: Connected(
            kind, f"{repo}#1", f"https://github.com/{repo}/issues/1", gh_done,
            lambda: len(fake.issues),
        )  # fmt: skip
    if kind == "jira":
        monkeypatch.setenv("HEATSHIELD_JIRA_EMAIL", jira_fake.EMAIL)
        monkeypatch.setenv("HEATSHIELD_JIRA_TOKEN", jira_fake.TOKEN)
        jira = jira_fake.FakeJira()

        async def jira_done(client: TestClient, delivery: str) -> Any:  # type: ignore[type-arg]
            payload = jira_fake.issue_updated("APP-1", "done", "Done", "Done")
            headers = {"X-Atlassian-Webhook-Identifier": delivery}
            url = f"/trackers/jira/webhook?secret={SECRET}"
            return await client.post(url, json=payload, headers=headers)

        settings = {"kind": "jira", "url": "{base}", "project": jira_fake.PROJECT,
                    "webhook_secret": SECRET}  # fmt: skip
        return (
            jira,
            settings,
            lambda base: Connected(
                kind, "APP-1", f"{base}/browse/APP-1", jira_done, lambda: len(jira.issues)
            ),
        )
    if kind == "azure-devops":
        monkeypatch.setenv("HEATSHIELD_AZURE_DEVOPS_PAT", azure_devops_fake.PAT)
        azure = azure_devops_fake.FakeAzureDevOps()
        project = azure_devops_fake.PROJECT

        async def azure_done(client: TestClient, delivery: str) -> Any:  # type: ignore[type-arg]
            payload = azure_devops_fake.work_item_updated(8, "Closed", delivery)
            basic = base64.b64encode(f"hook:{SECRET}".encode()).decode()
            return await client.post("/trackers/azure-devops/webhook", json=payload,
                                     headers={"Authorization": f"Basic {basic}"})  # fmt: skip

        settings = {"kind": "azure-devops", "url": "{base}/" + azure_devops_fake.ORG,
                    "project": project, "webhook_secret": SECRET}  # fmt: skip
        return azure, settings, lambda base: Connected(
            kind, f"{project}#8",
            f"{base}/{azure_devops_fake.ORG}/{project}/_workitems/edit/8", azure_done,
            lambda: len(azure.items) - 1,
        )  # fmt: skip
    monkeypatch.setenv("HEATSHIELD_LINEAR_API_KEY", linear_fake.API_KEY)
    linear = linear_fake.FakeLinear()

    async def linear_done(client: TestClient, delivery: str) -> Any:  # type: ignore[type-arg]
        body = json.dumps(linear_fake.issue_update("ENG-101", "completed", "Done")).encode()
        signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        return await client.post("/trackers/linear/webhook", data=body,
                                 headers={"Linear-Signature": signature,
                                          "Linear-Delivery": delivery})  # fmt: skip

    settings = {"kind": "linear", "url": "{base}/graphql", "team": linear_fake.TEAM,
                "webhook_secret": SECRET}  # fmt: skip
    return linear, settings, lambda base: Connected(
        kind, "ENG-101", "https://linear.app/acme/issue/ENG-101", linear_done,
        lambda: len(linear.creates),
    )  # fmt: skip
