"""The loop closes in the tracker from Teams too: approved with a card's submit, the issue
appears in the (fake) GitHub, the stakeholder hears its key in her chat, and the webhook
that closes it reaches her there exactly once."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer

from bot.kernel.trackers import TrackerSettings
from bot.runtime.app import Runtime
from handlers.tracker_settings import put_tracker
from tests.adapters.teams.conftest import ANNA_CHAT, TENANT, FakeConnector, Teams, submit_data
from tests.adapters.teams.test_teams_loop import incident_card, po_submit
from tests.adapters.trackers.github_fake import REPO, TOKEN, FakeGitHub
from tests.adapters.trackers.test_github_webhooks import SECRET, deliver, handle_stored, issue_event
from tests.playground import Playground


async def test_approved_in_teams_created_in_github_and_shipped_back_to_the_chat(
    teams: Teams,
    connector: FakeConnector,
    runtime: Runtime,
    client: Playground,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEATSHIELD_GITHUB_TOKEN", TOKEN)
    fake = FakeGitHub()
    github = TestServer(fake.app())
    await github.start_server()
    po_chat, _, card = await incident_card(teams)
    async with runtime.db.transaction() as uow:
        workspace = await uow.workspaces.get(platform="teams", external_id=TENANT)
        assert workspace is not None
        settings = TrackerSettings(
            kind="github", url=str(github.make_url("")).rstrip("/"), repo=REPO,
            webhook_secret=SECRET,
        )  # fmt: skip
        await put_tracker(uow, workspace, settings, "connected", runtime.services.clock.now())

    await teams.send(po_submit(po_chat, submit_data(card, "approve_top"), "1763891100777"))
    assert await runtime.trackers.work_due() == 1
    await runtime.worker.deliver_due()

    assert len(fake.posts()) == 1
    assert f"as {REPO}#1: https://github.com/{REPO}/issues/1" in connector.texts(ANNA_CHAT)[-1]

    for _ in range(2):
        closed = issue_event("closed", state_reason="completed")
        assert (await deliver(client, closed, delivery="d-teams")).status == 200
    await handle_stored(runtime)
    shipped = [text for text in connector.texts(ANNA_CHAT) if "has shipped" in text]
    assert len(shipped) == 1, "told once, in the chat where she asked"
    await github.close()
