"""The stakeholder's reply reaches the tracker item once, on every tracker: when the answer to
the comment is lost (a gateway's time-out after the comment was made), the next try looks
among the item's comments before posting it again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.kernel.clock import FakeClock
from bot.runtime.app import Runtime
from tests import state
from tests.adapters.trackers.kinds import KINDS, tracker
from tests.adapters.trackers.test_github_webhooks import texts
from tests.adapters.trackers.test_jira_tracker import FEATURE, approve
from tests.handlers.coaching_support import demo
from tests.playground import Playground

REPLY = "January to March, per cost centre."


@pytest.mark.parametrize("kind", KINDS)
async def test_a_reply_whose_answer_was_lost_is_commented_once(
    client: Playground,
    runtime: Runtime,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    async with runtime.db.read() as uow:
        workspace_id = (await demo(uow)).id
    async with tracker(kind, runtime, workspace_id, monkeypatch) as connected:
        await approve(client, runtime, FEATURE, "approve_top")
        assert await runtime.trackers.work_due() == 1

        connected.lost_comment_answers = 1
        await client.say("anna", f"re {connected.key}: {REPLY}")
        assert await runtime.trackers.work_due() == 0, "the answer was lost: tried again later"
        assert connected.comments() == 1
        [job] = [j for j in await state.tracker_jobs(runtime) if j.action == "comment"]
        assert (job.status, job.maybe_sent) == ("pending", True)

        clock.advance(timedelta(hours=1))
        assert await runtime.trackers.work_due() == 1

        assert connected.comments() == 1, "found among the item's comments, not posted again"
        [job] = [j for j in await state.tracker_jobs(runtime) if j.action == "comment"]
        assert job.status == "done"
        assert "passing your answer on to the team" in (await texts(client, "anna"))[-1]
