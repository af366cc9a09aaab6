"""In Slack, the stakeholder answers a note from the team in its thread: the reply becomes a
comment on the tracker's item, as 're KEY: ...' would; a reply in another thread is not."""

from __future__ import annotations

import copy

import pytest

from bot.runtime.app import Runtime
from tests.adapters.slack.conftest import TEAM, Slack, click, fixture
from tests.adapters.slack.test_slack_loop import INCIDENT_DM, incident
from tests.adapters.trackers.kinds import SECRET, tracker
from tests.adapters.trackers.test_comments import github_comment
from tests.adapters.trackers.test_github_webhooks import deliver, handle_stored
from tests.playground import Playground


def reply_in_thread(thread_ts: str, text: str, event_id: str) -> dict[str, object]:
    body = copy.deepcopy(fixture("message_im"))
    body["event_id"] = event_id
    body["event"].update(text=text, thread_ts=thread_ts, ts="1763890300.000200",
                         client_msg_id=event_id)  # fmt: skip
    body["event"].pop("blocks", None)
    return body


async def test_a_reply_in_the_thread_of_a_note_becomes_a_comment_on_the_issue(
    slack: Slack, runtime: Runtime, client: Playground, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = await incident(slack)
    async with runtime.db.read() as uow:
        workspace = await uow.workspaces.get(platform="slack", external_id=TEAM)
        assert workspace is not None
    async with tracker("github", runtime, workspace.id, monkeypatch) as connected:
        await slack.interact(click(card, "approve_top"))
        await slack.settle()
        await runtime.trackers.work_due()
        await slack.settle()
        comment = github_comment("@requester Which browser do you use?")
        response = await deliver(client, comment, delivery="c-thread", event="issue_comment",
                                 secret=SECRET)  # fmt: skip
        assert response.status == 200
        await handle_stored(runtime)
        await slack.settle()
        [note] = [p for p in slack.fake.posts(INCIDENT_DM) if "A note from the team" in p["text"]]

        await slack.event(reply_in_thread(str(note["ts"]), "Firefox on Windows", "Ev0THREAD1"))
        await slack.event(reply_in_thread("1763890299.999999", "Unrelated thread", "Ev0THREAD2"))
        await slack.settle()
        await runtime.trackers.work_due()

        assert connected.fake.comments == [
            (1, "From Anna Jansen (via Heatshield): Firefox on Windows")
        ]
        thanks = slack.fake.posts(INCIDENT_DM)[-2:]
        assert any("passing your answer on to the team on acme/shop#1" in p["text"] for p in thanks)
