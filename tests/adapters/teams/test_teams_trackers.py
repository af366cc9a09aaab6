"""The loop closes in the tracker from Teams too, for each of the four trackers: approved
with a card's submit, the item appears in the (fake) tracker, the stakeholder hears its key
in her chat, and the tracker's webhook that says it is done reaches her there exactly once."""

from __future__ import annotations

import pytest

from bot.runtime.app import Runtime
from tests.adapters.teams.conftest import ANNA_CHAT, TENANT, FakeConnector, Teams, submit_data
from tests.adapters.teams.test_teams_loop import incident_card, po_submit
from tests.adapters.trackers.kinds import KINDS, done_delivered_twice, tracker
from tests.adapters.trackers.test_github_webhooks import handle_stored
from tests.playground import Playground


@pytest.mark.parametrize("kind", KINDS)
async def test_approved_in_teams_created_in_the_tracker_and_shipped_back_to_the_chat(
    teams: Teams,
    connector: FakeConnector,
    runtime: Runtime,
    client: Playground,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    po_chat, _, card = await incident_card(teams)
    async with runtime.db.read() as uow:
        workspace = await uow.workspaces.get(platform="teams", external_id=TENANT)
        assert workspace is not None
    async with tracker(kind, runtime, workspace.id, monkeypatch) as connected:
        await teams.send(po_submit(po_chat, submit_data(card, "approve_top"), "1763891100777"))
        assert await runtime.trackers.work_due() == 1
        await runtime.worker.deliver_due()

        assert connected.created() == 1
        assert f"as {connected.key}: {connected.url}" in connector.texts(ANNA_CHAT)[-1]

        assert await done_delivered_twice(connected, client.http) == [1, 0], "stored once"
        await handle_stored(runtime)
        shipped = [text for text in connector.texts(ANNA_CHAT) if "has shipped" in text]
        assert len(shipped) == 1, "told once, in the chat where she asked"
