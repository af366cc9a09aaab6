"""A comment on the tracker item marked for the requester ("@requester ..." or "[requester]
...") is relayed to the stakeholder (and everyone merged into the request), once; any other
comment stays in the tracker."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from bot.kernel.events import for_requester
from bot.runtime.app import Runtime
from tests.adapters.trackers.azure_devops_fake import PROJECT as AZURE_PROJECT
from tests.adapters.trackers.azure_devops_fake import FakeAzureDevOps
from tests.adapters.trackers.github_fake import REPO, FakeGitHub
from tests.adapters.trackers.jira_fake import FakeJira
from tests.adapters.trackers.linear_fake import FakeLinear
from tests.adapters.trackers.test_azure_devops_tracker import SECRET as AZURE_SECRET
from tests.adapters.trackers.test_azure_devops_tracker import azure  # noqa: F401 - fixture
from tests.adapters.trackers.test_github_webhooks import (
    deliver,
    handle_stored,
    issue_and_github,  # noqa: F401 - fixture
    issue_event,
    shipped_issue,  # noqa: F401 - fixture
    texts,
)
from tests.adapters.trackers.test_jira_tracker import FEATURE, approve, jira  # noqa: F401
from tests.adapters.trackers.test_jira_tracker import SECRET as JIRA_SECRET
from tests.adapters.trackers.test_linear_tracker import SECRET as LINEAR_SECRET
from tests.adapters.trackers.test_linear_tracker import linear  # noqa: F401 - fixture
from tests.playground import Playground

NOTE = "A note from the team about your request"


@pytest.mark.parametrize(
    ("comment", "relayed"),
    [
        ("@requester Does the export need the VAT column?", "Does the export need the VAT column?"),
        ("[requester]: shipped to staging, try it", "shipped to staging, try it"),
        ("@Requester, thanks!", "thanks!"),
        ("Internal: needs a migration first", None),
        ("@requester", None),
        ("cc @requester later", None),
    ],
)
def test_which_comments_are_for_the_requester(comment: str, relayed: str | None) -> None:
    assert for_requester(comment) == relayed


def github_comment(body: str) -> dict[str, Any]:
    event = issue_event("created")
    event["comment"] = {"id": 2801, "body": body, "user": {"login": "devon", "id": 7}}
    return event


async def test_a_github_comment_for_the_requester_reaches_everyone_who_asked_once(
    client: Playground,
    runtime: Runtime,
    shipped_issue: int,  # noqa: F811
) -> None:
    marked = github_comment("@requester Does the export need the VAT column?")
    internal = github_comment("Internal: needs a migration first")
    accepted = []
    # The same delivery twice, then the same signed comment replayed under a new delivery id.
    for payload, delivery in ((marked, "c-1"), (marked, "c-1"), (marked, "c-3")):
        response = await deliver(client, payload, delivery=delivery, event="issue_comment")
        assert response.status == 200
        accepted.append((await response.json())["accepted"])
    assert accepted == [1, 0, 0]
    response = await deliver(client, internal, delivery="c-2", event="issue_comment")
    assert response.status == 200
    await handle_stored(runtime)

    for user in ("anna", "ben"):  # ben's request was merged into anna's
        [note] = [text for text in await texts(client, user) if NOTE in text]
        assert f"({REPO}#1), from devon: Does the export need the VAT column?\n" in note


async def test_a_jira_comment_in_atlassian_document_format(
    client: Playground,
    runtime: Runtime,
    jira: tuple[FakeJira, str],  # noqa: F811
) -> None:
    await approve(client, runtime, FEATURE, "approve_top")
    await runtime.trackers.work_due()
    payload = {
        "timestamp": 1764667200000,
        "webhookEvent": "comment_created",
        "comment": {
            "id": "10050",
            "author": {"accountId": "5b10ac8d82e05b22cc7d4ef6", "displayName": "Dev Eloper"},
            "body": {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
                {"type": "text", "text": "@requester which months do you need?"}]}]},
        },
        "issue": {"id": "10001", "key": "APP-1",
                  "fields": {"project": {"id": "10000", "key": "APP", "name": "Acme App"}}},
    }  # fmt: skip

    response = await client.http.post(
        f"/trackers/jira/webhook?secret={JIRA_SECRET}", json=payload,
        headers={"X-Atlassian-Webhook-Identifier": "c-jira-1"},
    )  # fmt: skip
    assert response.status == 200
    await handle_stored(runtime)

    [note] = [t for t in await texts(client, "anna") if NOTE in t]
    assert "(APP-1), from Dev Eloper: which months do you need?\n" in note


async def test_a_linear_comment_and_an_azure_devops_comment(
    client: Playground,
    runtime: Runtime,
    linear: FakeLinear,  # noqa: F811
) -> None:
    await approve(client, runtime, FEATURE, "approve_top")
    await runtime.trackers.work_due()
    payload = {
        "action": "create",
        "type": "Comment",
        "data": {"id": "cmt-1", "body": "[requester] it is in review now",
                 "user": {"id": "u-1", "name": "Dev Eloper"},
                 "issue": {"id": "c6d1e4f0-0000-4000-8000-000000000101",
                           "identifier": "ENG-101", "title": "CSV export"}},
        "webhookTimestamp": 1764321120000,
    }  # fmt: skip
    body = json.dumps(payload).encode()
    signature = hmac.new(LINEAR_SECRET.encode(), body, hashlib.sha256).hexdigest()

    for delivery, accepted in (("c-lin-1", 1), ("c-lin-2", 0)):  # replayed: the same comment
        response = await client.http.post(
            "/trackers/linear/webhook", data=body,
            headers={"Linear-Signature": signature, "Linear-Delivery": delivery},
        )  # fmt: skip
        assert response.status == 200
        assert (await response.json())["accepted"] == accepted
    await handle_stored(runtime)

    [note] = [t for t in await texts(client, "anna") if NOTE in t]
    assert "(ENG-101), from Dev Eloper: it is in review now\n" in note


async def test_an_azure_devops_comment_in_html(
    client: Playground,
    runtime: Runtime,
    azure: tuple[FakeAzureDevOps, str],  # noqa: F811
) -> None:
    await approve(client, runtime, FEATURE, "approve_top")
    await runtime.trackers.work_due()
    payload = {
        "id": "c-azure-1",
        "eventType": "workitem.commented",
        "resource": {"id": 8, "fields": {
            "System.TeamProject": AZURE_PROJECT, "System.WorkItemType": "User Story",
            "System.History": "<div>@requester can you send an example &amp; the totals?</div>",
            "System.ChangedBy": "Dev Eloper <dev@acme.example>",
        }},
    }  # fmt: skip
    basic = base64.b64encode(f"hook:{AZURE_SECRET}".encode()).decode()

    response = await client.http.post(
        "/trackers/azure-devops/webhook", json=payload, headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status == 200
    await handle_stored(runtime)

    [note] = [t for t in await texts(client, "anna") if NOTE in t]
    said = f"({AZURE_PROJECT}#8), from Dev Eloper: can you send an example & the totals?\n"
    assert said in note


async def test_the_stakeholders_answer_becomes_a_comment_on_the_github_issue(
    client: Playground,
    runtime: Runtime,
    issue_and_github: tuple[int, FakeGitHub],  # noqa: F811
) -> None:
    _, fake = issue_and_github
    await deliver(client, github_comment("@requester Which months?"), delivery="c-9",
                  event="issue_comment")  # fmt: skip
    await handle_stored(runtime)
    assert "write 're acme/shop#1: '" in (await texts(client, "anna"))[-1]

    await client.say("anna", f"re {REPO}#1: January to March, per cost centre.")
    await client.say("dirk", f"re {REPO}#1: I want it too")  # not one of those who asked

    assert "passing your answer on to the team" in (await texts(client, "anna"))[-1]
    assert "I know no request of yours as" in (await texts(client, "dirk"))[-1]
    assert await runtime.trackers.work_due() == 1
    assert fake.comments == [(1, "From Anna (via Heatshield): January to March, per cost centre.")]


async def test_a_reply_to_a_jira_issue_in_dutch(
    client: Playground,
    runtime: Runtime,
    jira: tuple[FakeJira, str],  # noqa: F811
) -> None:
    fake, _ = jira
    await approve(client, runtime, FEATURE, "approve_top")
    await runtime.trackers.work_due()

    await client.say("anna", "antwoord APP-1: alleen het eerste kwartaal")
    assert await runtime.trackers.work_due() == 1

    [(key, document)] = fake.comments
    assert key == "APP-1"
    assert "From Anna (via Heatshield): alleen het eerste kwartaal" in json.dumps(document)


async def test_an_answer_the_tracker_refuses_is_told_to_the_stakeholder(
    client: Playground,
    runtime: Runtime,
    issue_and_github: tuple[int, FakeGitHub],  # noqa: F811
) -> None:
    _, fake = issue_and_github
    fake.issues.clear()  # the issue was deleted in GitHub meanwhile

    await client.say("anna", f"re {REPO}#1: January to March.")
    await runtime.trackers.work_due()
    await runtime.worker.deliver_due()

    told = (await texts(client, "anna"))[-1]
    assert f"would not take your answer on {REPO}#1" in told
    assert fake.comments == []
