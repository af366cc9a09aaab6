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
    jira = await http.post("/trackers/jira/webhook?secret=x\x00y",
                           json={"issue": {"fields": {"project": {"key": "A\x00"}}}})  # fmt: skip
    team = {"type": "Issue", "data": {"team": {"key": "E\x00"}}}
    linear = await http.post("/trackers/linear/webhook", json=team)
    azure = await http.post("/trackers/azure-devops/webhook", json={"resource": {
        "revision": {"fields": {"System.TeamProject": "S\x00"}}}},
        headers={"Authorization": "Basic !!!not-base64"})  # fmt: skip
    huge = await http.post("/trackers/github/webhook", data=b"x" * (10 * 1024 * 1024),
                           headers={"X-GitHub-Delivery": "big"})  # fmt: skip

    assert (jira.status, linear.status, azure.status, huge.status) == (401, 401, 401, 413)
    [*entries] = await state.audit(runtime)
    assert [e.target for e in entries] == ["A", "E", "S"], "kept, without the NUL"
