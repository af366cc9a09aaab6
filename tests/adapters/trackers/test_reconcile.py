"""The periodic reconcile catches what a missed webhook would have said: each tracker is asked
where its unfinished items stand, a move is told once, and a move a webhook told already is
not told again."""

from __future__ import annotations

import pytest

from bot.runtime import tracker_jobs
from bot.runtime.app import Runtime
from handlers.trackers import tracker_moved
from tests import state
from tests.adapters.trackers.azure_devops_fake import PROJECT as AZURE_PROJECT
from tests.adapters.trackers.azure_devops_fake import FakeAzureDevOps
from tests.adapters.trackers.github_fake import REPO, FakeGitHub
from tests.adapters.trackers.jira_fake import FakeJira
from tests.adapters.trackers.linear_fake import FakeLinear
from tests.adapters.trackers.test_azure_devops_tracker import azure  # noqa: F401 - fixture
from tests.adapters.trackers.test_github_tracker import connect, github  # noqa: F401 - fixture
from tests.adapters.trackers.test_github_webhooks import texts
from tests.adapters.trackers.test_jira_tracker import FEATURE, approve, jira  # noqa: F401
from tests.adapters.trackers.test_linear_tracker import linear  # noqa: F401 - fixture
from tests.playground import Playground

SHIPPED = "has shipped"


async def shipped_told(client: Playground) -> int:
    return sum(SHIPPED in text for text in await texts(client, "anna"))


async def created(client: Playground, runtime: Runtime) -> int:
    item_id = await approve(client, runtime, FEATURE, "approve_top")
    assert await runtime.trackers.work_due() == 1
    return item_id


async def test_a_github_issue_closed_while_the_webhook_was_missed(
    client: Playground,
    runtime: Runtime,
    github: tuple[FakeGitHub, str],  # noqa: F811
) -> None:
    fake, url = github
    await connect(runtime, url)
    item_id = await created(client, runtime)
    assert await runtime.trackers.reconcile() == 0, "nothing moved yet"

    fake.issues[0]["assignees"] = [{"login": "dev"}]
    assert await runtime.trackers.reconcile() == 1
    fake.issues[0].update(state="closed", state_reason="completed")
    assert await runtime.trackers.reconcile() == 1
    assert await runtime.trackers.reconcile() == 0, "done: not asked again"
    await runtime.worker.deliver_due()

    anna = await texts(client, "anna")
    assert sum("Work has started" in text for text in anna) == 1
    assert await shipped_told(client) == 1
    item = await state.item(runtime, item_id)
    assert (item.status, item.tracker_state, item.tracker_key) == ("done", "done", f"{REPO}#1")


async def test_a_jira_issue_done_while_the_webhook_was_missed(
    client: Playground,
    runtime: Runtime,
    jira: tuple[FakeJira, str],  # noqa: F811
) -> None:
    fake, _ = jira
    item_id = await created(client, runtime)

    fake.statuses["APP-1"] = ("done", "Done", "Done")
    assert await runtime.trackers.reconcile() == 1
    await runtime.worker.deliver_due()

    assert await shipped_told(client) == 1
    assert (await state.item(runtime, item_id)).tracker_state == "done"


async def test_an_azure_devops_work_item_removed_is_wont_do(
    client: Playground,
    runtime: Runtime,
    azure: tuple[FakeAzureDevOps, str],  # noqa: F811
) -> None:
    fake, _ = azure
    item_id = await created(client, runtime)

    fake.items[8]["System.State"] = "Removed"
    assert await runtime.trackers.reconcile() == 1
    await runtime.worker.deliver_due()

    assert any("decided not to do your request" in t for t in await texts(client, "anna"))
    assert (await state.item(runtime, item_id)).tracker_key == f"{AZURE_PROJECT}#8"


async def test_a_linear_issue_completed_and_a_tracker_down_during_the_reconcile(
    client: Playground,
    runtime: Runtime,
    linear: FakeLinear,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    item_id = await created(client, runtime)
    linear.issues[-1]["state_type"] = "completed"

    monkeypatch.setenv("HEATSHIELD_LINEAR_API_KEY", "lin_api_revoked")
    assert await runtime.trackers.reconcile() == 0, "a refused key: nothing told, no crash"
    monkeypatch.setenv("HEATSHIELD_LINEAR_API_KEY", "lin_api_heatshieldtest0000000000000000")
    assert await runtime.trackers.reconcile() == 1
    await runtime.worker.deliver_due()

    assert await shipped_told(client) == 1
    assert (await state.item(runtime, item_id)).status == "done"


async def test_a_move_the_webhook_told_already_is_not_told_again_by_the_reconcile(
    client: Playground,
    runtime: Runtime,
    github: tuple[FakeGitHub, str],  # noqa: F811
) -> None:
    fake, url = github
    await connect(runtime, url)
    await created(client, runtime)
    async with runtime.db.transaction() as uow:
        [workspace] = [w for w in await uow.workspaces.all() if w.external_id == "demo"]
        await tracker_moved(uow, runtime.services, workspace, f"{REPO}#1", "done")

    fake.issues[0].update(state="closed", state_reason="completed")
    assert await runtime.trackers.reconcile() == 0
    await runtime.worker.deliver_due()

    assert await shipped_told(client) == 1


async def test_every_unfinished_item_is_asked_about_in_turn_however_many_there_are(
    client: Playground,
    runtime: Runtime,
    github: tuple[FakeGitHub, str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reconcile asks about a batch of items; the next one goes on after it, and the one
    after that starts again from the first: an item far down the list is not left out."""
    fake, url = github
    await connect(runtime, url)
    monkeypatch.setattr(tracker_jobs, "RECONCILE_BATCH", 2)
    for n in range(3):
        await approve(client, runtime, f"{FEATURE} For region {n}.", "approve_top")
        assert await runtime.trackers.work_due() == 1
    fake.issues[2].update(state="closed", state_reason="completed")  # the third request's

    assert await runtime.trackers.reconcile() == 0, "the first two: nothing moved"
    assert await runtime.trackers.reconcile() == 1, "then the third"
    fake.issues[0].update(state="closed", state_reason="completed")
    assert await runtime.trackers.reconcile() == 1, "round again from the first"
