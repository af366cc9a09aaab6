"""Slack's answer waits for storing the event and nothing else: not for the database the
handling uses (on SQLite, its writers queue there behind every handling transaction), so the
three seconds hold while handling is saturated."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from bot.runtime.app import Runtime
from storage.models import InboundRecord
from tests import state
from tests.adapters.slack.conftest import Slack, fixture, with_event


@contextlib.asynccontextmanager
async def unusable() -> AsyncIterator[None]:
    raise AssertionError("the ack path used the handling's database")
    yield  # pragma: no cover


@pytest.mark.parametrize("name", ["message_im", "app_mention"])
async def test_an_event_is_acked_without_the_handlings_database(
    slack: Slack, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(runtime.db, "transaction", unusable)
        patched.setattr(runtime.db, "read", unusable)
        response = await slack.event(with_event(name, "Ev0ACKPATH1"))

    assert response.status == 200, await response.text()
    assert await state.count(runtime, InboundRecord) == 1


async def test_a_click_is_acked_without_the_handlings_database(
    slack: Slack, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(runtime.db, "transaction", unusable)
        patched.setattr(runtime.db, "read", unusable)
        response = await slack.interact(fixture("block_actions"))

    assert response.status == 200, await response.text()
    assert await state.count(runtime, InboundRecord) == 1
