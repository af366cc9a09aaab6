"""Slack's ack path does one thing: verify, store, answer. users.info comes after the ack, and
an overloaded store answers 503 with a Retry-After (Slack delivers it again) before it would
keep Slack waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.kernel.errors import OverloadedError
from bot.runtime.app import Runtime
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


@pytest.mark.parametrize("kind", ["message_im", "app_mention"])
async def test_a_store_that_fills_up_while_a_request_is_read_answers_503(
    slack: Slack, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Another request took the last room between the check and the commit: a direct message
    (its own lane) and a mention (through bolt) both hear 503, not 500."""

    async def full(_: object) -> bool:
        raise OverloadedError(retry_after=2)

    monkeypatch.setattr(runtime.pipeline.store, "accept", full)

    response = await slack.event(fixture(kind))

    assert response.status == 503
    assert response.headers["Retry-After"] == "2"
    assert await state.count(runtime, InboundRecord) == 0
