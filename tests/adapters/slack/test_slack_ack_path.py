"""Slack's answer waits for storing the event and nothing else: not for the database the
handling uses (on SQLite, its writers queue there behind every handling transaction), so the
three seconds hold while handling is saturated."""

from __future__ import annotations

import pytest

from bot.runtime.app import Runtime
from storage.models import InboundRecord
from tests import state
from tests.ack_path import handling_database_unusable
from tests.adapters.slack.conftest import Slack, fixture, with_event


@pytest.mark.parametrize("name", ["message_im", "app_mention"])
async def test_an_event_is_acked_without_the_handlings_database(
    slack: Slack, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    with handling_database_unusable(runtime, monkeypatch):
        response = await slack.event(with_event(name, "Ev0ACKPATH1"))

    assert response.status == 200, await response.text()
    assert await state.count(runtime, InboundRecord) == 1


async def test_a_click_is_acked_without_the_handlings_database(
    slack: Slack, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with handling_database_unusable(runtime, monkeypatch):
        response = await slack.interact(fixture("block_actions"))

    assert response.status == 200, await response.text()
    assert await state.count(runtime, InboundRecord) == 1
