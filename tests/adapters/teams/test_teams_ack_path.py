"""Teams' answer waits for storing the activity and nothing else: not for the database the
handling uses (on SQLite, its writers queue there behind every handling transaction)."""

from __future__ import annotations

import pytest

from bot.runtime.app import Runtime
from storage.models import InboundRecord
from tests import state
from tests.ack_path import handling_database_unusable
from tests.adapters.teams.conftest import Teams, activity


async def test_an_activity_is_acked_without_the_handlings_database(
    teams: Teams, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with handling_database_unusable(runtime, monkeypatch):
        response = await teams.post(activity("personal_message"))

    assert response.status == 200, await response.text()
    assert await state.count(runtime, InboundRecord) == 1
