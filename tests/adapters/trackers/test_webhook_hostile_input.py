"""Hostile deliveries at the trackers' webhooks get a clear answer, never a 500: a NUL byte
in a project, a key or a name (PostgreSQL cannot store one), fields of the wrong type, a
10 MB body; a signed delivery with a NUL in its key is kept, without the NUL."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from bot.runtime.app import Runtime
from storage.models import InboundRecord
from tests import state
from tests.adapters.trackers.test_github_webhooks import (
    SECRET,
    issue_and_github,  # noqa: F401 - fixture
    shipped_issue,  # noqa: F401 - fixture
)
from tests.adapters.trackers.test_jira_tracker import SECRET as JIRA_SECRET
from tests.adapters.trackers.test_jira_tracker import jira  # noqa: F401 - fixture
from tests.playground import Playground

REPO = {"full_name": "acme/shop"}


async def signed(client: Playground, payload: Any, delivery: str) -> Any:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-GitHub-Event": "issues", "X-GitHub-Delivery": delivery,
               "X-Hub-Signature-256": signature}  # fmt: skip
    return await client.http.post("/trackers/github/webhook", data=body, headers=headers)


@pytest.mark.parametrize(
    ("payload", "status", "stored"),
    [
        ({"action": "closed", "issue": {"number": 1}, "repository": {"full_name": "acme/\x00shop"}},
         401, 0),
        ({"action": "closed", "issue": [1], "repository": REPO}, 200, 0),
        ({"action": "closed", "issue": {"number": "1\x00"}, "repository": REPO}, 200, 1),
        ({"action": "assigned", "issue": {"number": 1}, "repository": REPO,
          "sender": {"login": "a\x00b"}}, 200, 1),
        ({"action": "closed", "issue": {"number": 1}, "repository": ["acme/shop"]}, 401, 0),
        ({"action": ["closed"], "issue": {"number": 1}, "repository": REPO}, 200, 0),
        ({"action": "closed", "issue": {"number": 1, "state_reason": {"x": 1}},
          "repository": REPO}, 200, 1),
    ],
)  # fmt: skip
async def test_a_hostile_github_delivery_is_answered_clearly(
    client: Playground,
    runtime: Runtime,
    shipped_issue: int,  # noqa: F811
    payload: dict[str, Any],
    status: int,
    stored: int,
) -> None:
    before = await state.count(runtime, InboundRecord)

    response = await signed(client, payload, "d-hostile")

    assert response.status == status, await response.text()
    assert await state.count(runtime, InboundRecord) == before + stored


async def test_nul_bytes_and_a_huge_body_at_the_other_trackers(
    client: Playground, runtime: Runtime
) -> None:
    http = client.http
    jira_answer = await http.post("/trackers/jira/webhook?secret=x\x00y",
                           json={"issue": {"fields": {"project": {"key": "A\x00"}}}})  # fmt: skip
    team = {"type": "Issue", "data": {"team": {"key": "E\x00"}}}
    linear = await http.post("/trackers/linear/webhook", json=team)
    azure = await http.post("/trackers/azure-devops/webhook", json={"resource": {
        "revision": {"fields": {"System.TeamProject": "S\x00"}}}},
        headers={"Authorization": "Basic !!!not-base64"})  # fmt: skip
    huge = await http.post("/trackers/github/webhook", data=b"x" * (10 * 1024 * 1024),
                           headers={"X-GitHub-Delivery": "big"})  # fmt: skip

    assert (jira_answer.status, linear.status, azure.status, huge.status) == (401, 401, 401, 413)
    [*entries] = await state.audit(runtime)
    assert [e.target for e in entries] == ["A", "E", "S"], "kept, without the NUL"


async def test_a_signature_beyond_ascii_is_refused_not_a_crash(
    client: Playground,
    runtime: Runtime,
    shipped_issue: int,  # noqa: F811
) -> None:
    http = client.http
    body = json.dumps({"action": "closed", "issue": {"number": 1}, "repository": REPO})
    github = await http.post("/trackers/github/webhook", data=body.encode(), headers={
        "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": "sha256=é"})  # fmt: skip
    linear = await http.post("/trackers/linear/webhook", json={"data": {"team": {"key": "ENG"}}},
                             headers={"Linear-Signature": "é"})  # fmt: skip
    shop = {"id": "1", "resource": {"fields": {"System.TeamProject": "Shop"}}}
    azure = await http.post(
        "/trackers/azure-devops/webhook", json=shop, headers={"Authorization": "Basic é"}
    )

    assert (github.status, linear.status, azure.status) == (401, 401, 401)


@pytest.mark.parametrize(
    "payload",
    [
        {"webhookEvent": "jira:issue_updated", "changelog": {"items": 5},
         "issue": {"key": "APP-1", "fields": {"project": {"key": "APP"}}}},
        {"webhookEvent": "jira:issue_updated", "changelog": [1],
         "issue": {"key": "APP-1", "fields": {"project": {"key": "APP"}, "status": [1]}}},
        {"webhookEvent": "comment_created", "comment": [1],
         "issue": {"key": "APP-1", "fields": {"project": {"key": "APP"}}}},
        {"webhookEvent": "comment_created",
         "comment": {"body": {"type": "doc", "content": None}},
         "issue": {"key": "APP-1", "fields": {"project": {"key": "APP"}}}},
        {"webhookEvent": "jira:issue_updated",
         "changelog": {"id": "1\n", "items": [{"field": "status"}]},
         "issue": {"key": "APP-1", "fields": {"project": {"key": "APP"},
                                              "status": {"statusCategory": {"key": "done"}}}}},
    ],
)  # fmt: skip
async def test_a_verified_jira_delivery_of_the_wrong_shape_is_a_clear_400_or_ignored(
    client: Playground,
    runtime: Runtime,
    jira: Any,  # noqa: F811 - the fixture
    payload: dict[str, Any],
) -> None:
    url = f"/trackers/jira/webhook?secret={JIRA_SECRET}"

    response = await client.http.post(url, json=payload)

    assert response.status in (200, 400), await response.text()
