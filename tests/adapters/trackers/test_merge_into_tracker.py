""" "merge #12 into APP-123": a request merged into an item the tracker already has; checked
by the tracker worker, told to the stakeholder with its key and link, and every later move
of that item reaches them too."""

from __future__ import annotations

import pytest

from bot.runtime.app import Runtime
from tests import state
from tests.adapters.trackers.azure_devops_fake import FakeAzureDevOps
from tests.adapters.trackers.github_fake import REPO, FakeGitHub
from tests.adapters.trackers.jira_fake import FakeJira
from tests.adapters.trackers.linear_fake import FakeLinear
from tests.adapters.trackers.test_azure_devops_tracker import azure  # noqa: F401 - fixture
from tests.adapters.trackers.test_github_tracker import connect, github  # noqa: F401 - fixture
from tests.adapters.trackers.test_github_webhooks import texts
from tests.adapters.trackers.test_jira_tracker import FEATURE, jira  # noqa: F401 - fixture
from tests.adapters.trackers.test_linear_tracker import linear  # noqa: F401 - fixture
from tests.playground import Playground


def existing_issue(fake: FakeGitHub) -> None:
    fake.issues.append({
        "id": 1001, "number": 1, "title": "CSV export of expenses", "body": "filed by the team",
        "state": "open", "state_reason": None, "assignees": [], "labels": [],
        "html_url": f"https://github.com/{REPO}/issues/1",
    })  # fmt: skip


async def requested(client: Playground, runtime: Runtime) -> int:
    await client.say("anna", FEATURE)
    return (await state.items(runtime))[-1].id


async def test_a_request_merged_into_a_github_issue_hears_its_key_and_its_moves(
    client: Playground,
    runtime: Runtime,
    github: tuple[FakeGitHub, str],  # noqa: F811
) -> None:
    fake, url = github
    existing_issue(fake)
    await connect(runtime, url)
    item_id = await requested(client, runtime)

    await client.say("po", f"merge #{item_id} into #1")

    assert "once the tracker confirms it" in (await client.last("po"))["text"]
    assert await runtime.trackers.work_due() == 1
    await runtime.worker.deliver_due()
    item = await state.item(runtime, item_id)
    assert (item.status, item.tracker_key) == ("merged", f"{REPO}#1")
    told = (await client.last("anna"))["text"]
    assert f"is the same as {REPO}#1 on the team's board" in told
    assert fake.posts() == [], "nothing created"

    fake.issues[0].update(state="closed", state_reason="completed")
    assert await runtime.trackers.reconcile() == 1
    await runtime.worker.deliver_due()
    assert sum("has shipped" in t for t in await texts(client, "anna")) == 1


async def test_a_key_the_tracker_does_not_have_leaves_the_request_undecided(
    client: Playground,
    runtime: Runtime,
    github: tuple[FakeGitHub, str],  # noqa: F811
) -> None:
    _, url = github
    await connect(runtime, url)
    item_id = await requested(client, runtime)

    await client.say("po", f"merge #{item_id} into {REPO}#99")
    await runtime.trackers.work_due()
    await runtime.worker.deliver_due()

    told = (await client.last("po"))["text"]
    assert f"{REPO}#99 is not in the tracker, so #{item_id}" in told
    item = await state.item(runtime, item_id)
    assert (item.status, item.tracker_key) == ("queued", None)


async def test_in_dutch_into_a_jira_issue(
    client: Playground,
    runtime: Runtime,
    jira: tuple[FakeJira, str],  # noqa: F811
) -> None:
    fake, site = jira
    fake.issues["APP-100"] = {"summary": "CSV export", "description": {}}
    item_id = await requested(client, runtime)

    await client.say("po", f"voeg #{item_id} samen met app-100")
    await runtime.trackers.work_due()

    item = await state.item(runtime, item_id)
    assert (item.tracker_key, item.tracker_url) == ("APP-100", f"{site}/browse/APP-100")


async def test_without_a_tracker_or_by_a_stakeholder_nothing_is_merged(
    client: Playground, runtime: Runtime
) -> None:
    item_id = await requested(client, runtime)

    await client.say("po", f"merge #{item_id} into APP-1")
    assert "no tracker yet" in (await client.last("po"))["text"]
    await client.say("anna", f"merge #{item_id} into APP-1")
    assert "only for" in (await client.last("anna"))["text"]

    assert (await state.item(runtime, item_id)).status in ("queued", "needs_info")
    assert await state.tracker_jobs(runtime) == []


async def test_two_requests_merged_into_one_tracker_item_both_hear_its_moves(
    client: Playground,
    runtime: Runtime,
    github: tuple[FakeGitHub, str],  # noqa: F811
) -> None:
    fake, url = github
    existing_issue(fake)
    await connect(runtime, url)
    await client.say("anna", FEATURE)
    await client.say("dirk", "Could the expense overview be downloaded as a spreadsheet?")
    first, second = [item.id for item in await state.items(runtime)]

    await client.say("po", f"merge #{first} into #1")
    await client.say("po", f"merge #{second} into {REPO}#1")
    assert await runtime.trackers.work_due() == 2
    fake.issues[0].update(state="closed", state_reason="completed")
    assert await runtime.trackers.reconcile() == 1
    await runtime.worker.deliver_due()

    for user in ("anna", "dirk"):
        told = await texts(client, user)
        assert sum(f"is the same as {REPO}#1" in t for t in told) == 1
        assert sum("has shipped" in t for t in told) == 1, user
    holders = [i for i in await state.items(runtime) if i.tracker_key == f"{REPO}#1"]
    assert [i.id for i in holders] == [first], "one request holds the key"


async def merged_into(client: Playground, runtime: Runtime, key: str) -> tuple[int, str]:
    """The PO merges a new request into ``key``; the request's id and what the PO heard."""
    item_id = await requested(client, runtime)
    await client.say("po", f"merge #{item_id} into {key}")
    await runtime.trackers.work_due()
    await runtime.worker.deliver_due()
    return item_id, (await client.last("po"))["text"]


async def test_an_issue_of_another_jira_project_is_not_merged_into(
    client: Playground,
    runtime: Runtime,
    jira: tuple[FakeJira, str],  # noqa: F811
) -> None:
    fake, _ = jira
    fake.issues["OPS-7"] = {"summary": "Another team's issue", "description": {}}

    item_id, told = await merged_into(client, runtime, "OPS-7")

    assert f"OPS-7 is not in the tracker, so #{item_id}" in told
    item = await state.item(runtime, item_id)
    assert (item.status, item.tracker_key) == ("queued", None)


async def test_an_issue_of_another_linear_team_is_not_merged_into(
    client: Playground,
    runtime: Runtime,
    linear: FakeLinear,  # noqa: F811
) -> None:
    linear.issues.append({"identifier": "OPS-3", "sortOrder": 1.0, "description": "theirs",
                          "url": "https://linear.app/acme/issue/OPS-3"})  # fmt: skip

    item_id, told = await merged_into(client, runtime, "OPS-3")

    assert f"OPS-3 is not in the tracker, so #{item_id}" in told
    assert (await state.item(runtime, item_id)).status == "queued"


async def test_a_work_item_of_another_azure_devops_project_is_not_merged_into(
    client: Playground,
    runtime: Runtime,
    azure: tuple[FakeAzureDevOps, str],  # noqa: F811
) -> None:
    fake, _ = azure
    fake.items[9] = {"System.Title": "Theirs", "System.State": "New",
                     "System.TeamProject": "Warehouse"}  # fmt: skip

    item_id, told = await merged_into(client, runtime, "#9")

    assert f"#9 is not in the tracker, so #{item_id}" in told
    assert (await state.item(runtime, item_id)).status == "queued"


async def test_a_link_the_tracker_refuses_is_told_as_a_merge_not_made(
    client: Playground,
    runtime: Runtime,
    github: tuple[FakeGitHub, str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, url = github
    existing_issue(fake)
    await connect(runtime, url)
    monkeypatch.setenv("HEATSHIELD_GITHUB_TOKEN", "ghp_revoked")

    item_id, told = await merged_into(client, runtime, "#1")

    assert "GitHub would not show me #1 (" in told
    assert f'so #{item_id} "' in told and "waits for your decision again" in told
    assert "could not create" not in told
    item = await state.item(runtime, item_id)
    assert (item.status, item.tracker_key) == ("queued", None)
