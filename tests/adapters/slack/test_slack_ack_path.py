"""Slack's ack path does one thing: verify, store, answer. users.info comes after the ack, and
an overloaded store answers 503 with a Retry-After (Slack delivers it again) before it would
keep Slack waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import Runtime
from storage.models import InboundRecord
from tests import state
from tests.adapters.slack.conftest import ANNA, Slack, fixture


async def test_the_sender_is_looked_up_after_the_ack(slack: Slack, runtime: Runtime) -> None:
    response = await slack.event(fixture("message_im"))

    assert response.status == 200
    assert slack.fake.of("users.info") == [], "no Web API call before the ack"
    async with runtime.db.transaction() as uow:
        [record] = await uow.inbound.claim(
            now=runtime.services.clock.now(), lease=timedelta(0), owner="peek", limit=1
        )
        assert record.event["sender"] == {
            "user_id": ANNA, "display_name": None, "timezone": None, "language": None
        }  # fmt: skip
        await uow.inbound.release(owner="peek")

    await slack.settle()

    assert [call.args["user"] for call in slack.fake.of("users.info")] == [ANNA]
    [item] = await state.items(runtime)
    assert item.request.stakeholder.display_name == "Anna Jansen"


async def test_an_overloaded_store_answers_503_and_stores_nothing(
    slack: Slack, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(type(runtime.pipeline.store), "overloaded", property(lambda _: True))

    response = await slack.event(fixture("message_im"))

    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    assert await state.count(runtime, InboundRecord) == 0
    monkeypatch.undo()
    again = await slack.event(fixture("message_im"), **{"X-Slack-Retry-Num": "1"})
    assert again.status == 200
    assert await state.count(runtime, InboundRecord) == 1
