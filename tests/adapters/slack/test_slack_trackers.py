"""The loop closes in the tracker from Slack too: the PO approves a stakeholder's request with
a click in Slack, the issue appears in the (fake) GitHub, the stakeholder hears its key in her
DM, and GitHub's webhook that closes it reaches her there exactly once."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer

from bot.kernel.trackers import TrackerSettings
from bot.runtime.app import Runtime
from handlers.tracker_settings import put_tracker
from tests.adapters.slack.conftest import TEAM, Slack, click
from tests.adapters.slack.test_slack_loop import INCIDENT_DM, incident
from tests.adapters.trackers.github_fake import REPO, TOKEN, FakeGitHub
from tests.adapters.trackers.test_github_webhooks import SECRET, deliver, handle_stored, issue_event
from tests.playground import Playground


async def test_approved_in_slack_created_in_github_and_shipped_back_to_the_dm(
    slack: Slack, runtime: Runtime, client: Playground, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEATSHIELD_GITHUB_TOKEN", TOKEN)
    fake = FakeGitHub()
    github = TestServer(fake.app())
    await github.start_server()
    card = await incident(slack)
    async with runtime.db.transaction() as uow:
        workspace = await uow.workspaces.get(platform="slack", external_id=TEAM)
        assert workspace is not None
        settings = TrackerSettings(
            kind="github", url=str(github.make_url("")).rstrip("/"), repo=REPO,
            webhook_secret=SECRET,
        )  # fmt: skip
        await put_tracker(uow, workspace, settings, "connected", runtime.services.clock.now())

    await slack.interact(click(card, "approve_top"))
    await slack.settle()
    assert await runtime.trackers.work_due() == 1
    await slack.settle()

    [posted] = fake.posts()
    assert posted["labels"] == ["incident", "backlog: top"]
    told = slack.fake.posts(INCIDENT_DM)[-1]
    assert f"as {REPO}#1: https://github.com/{REPO}/issues/1" in told["text"]

    for delivery in ("d-1", "d-1"):
        closed = issue_event("closed", state_reason="completed")
        assert (await deliver(client, closed, delivery=delivery)).status == 200
    await handle_stored(runtime)
    await slack.settle()
    shipped = [p for p in slack.fake.posts(INCIDENT_DM) if "has shipped" in p["text"]]
    assert len(shipped) == 1, "told once, in the DM where she asked"
    await github.close()
