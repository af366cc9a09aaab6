"""The loop closes in the tracker from Slack too, for each of the four trackers: the PO
approves a stakeholder's request with a click in Slack, the item appears in the (fake)
tracker, the stakeholder hears its key and link in her DM, and the tracker's webhook that says
it is done reaches her there exactly once."""

from __future__ import annotations

import pytest

from bot.runtime.app import Runtime
from tests.adapters.slack.conftest import TEAM, Slack, click
from tests.adapters.slack.test_slack_loop import INCIDENT_DM, incident
from tests.adapters.trackers.kinds import KINDS, done_delivered_twice, tracker
from tests.adapters.trackers.test_github_webhooks import handle_stored
from tests.playground import Playground


@pytest.mark.parametrize("kind", KINDS)
async def test_approved_in_slack_created_in_the_tracker_and_shipped_back_to_the_dm(
    slack: Slack,
    runtime: Runtime,
    client: Playground,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    card = await incident(slack)
    async with runtime.db.read() as uow:
        workspace = await uow.workspaces.get(platform="slack", external_id=TEAM)
        assert workspace is not None
    async with tracker(kind, runtime, workspace.id, monkeypatch) as connected:
        await slack.interact(click(card, "approve_top"))
        await slack.settle()
        assert await runtime.trackers.work_due() == 1
        await slack.settle()

        assert connected.created() == 1
        told = slack.fake.posts(INCIDENT_DM)[-1]
        assert f"as {connected.key}: {connected.url}" in told["text"]

        assert await done_delivered_twice(connected, client.http) == [1, 0], "stored once"
        await handle_stored(runtime)
        await slack.settle()
        shipped = [p for p in slack.fake.posts(INCIDENT_DM) if "has shipped" in p["text"]]
        assert len(shipped) == 1, "told once, in the DM where she asked"
