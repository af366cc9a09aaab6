"""A transaction that fails leaves nothing behind, savepoints included, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.runtime.app import Runtime
from storage.coaching_models import ScheduledSend


async def test_a_claim_in_a_savepoint_is_rolled_back_with_its_transaction(
    runtime: Runtime,
) -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    claim = ScheduledSend(key="k", kind="digest", due_at=now, outcome="sent", decided_at=now)

    with pytest.raises(RuntimeError):
        async with runtime.db.transaction() as uow:
            assert await uow.coaching.claim_send(claim)
            raise RuntimeError("the send failed")

    async with runtime.db.transaction() as uow:
        assert (await uow.session.scalars(select(ScheduledSend))).all() == []
