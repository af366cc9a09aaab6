"""Teams' answer waits for storing the activity and nothing else: not for the database the
handling uses (on SQLite, its writers queue there behind every handling transaction)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from bot.runtime.app import Runtime
from storage.models import InboundRecord
from tests import state
from tests.adapters.teams.conftest import Teams, activity


@contextlib.asynccontextmanager
async def unusable() -> AsyncIterator[None]:
    raise AssertionError("the ack path used the handling's database")
    yield  # pragma: no cover


async def test_an_activity_is_acked_without_the_handlings_database(
    teams: Teams, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(runtime.db, "transaction", unusable)
        patched.setattr(runtime.db, "read", unusable)
        response = await teams.post(activity("personal_message"))

    assert response.status == 200, await response.text()
    assert await state.count(runtime, InboundRecord) == 1
