"""The tick reads only the workspaces whose next moment has come: an idle workspace is left
alone until its next review or coaching send, and any change to what it plans (a request, a
session, preferences, review times) has it planned again at the next tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.kernel.clock import FakeClock
from bot.runtime.app import Runtime
from handlers import rhythm
from handlers.coaching.jobs import CoachingReport
from handlers.rhythm import LONGEST_WAIT, tick_workspace
from storage.models import PLAN_AGAIN, Workspace
from tests.handlers.coaching_support import (
    contract,
    demo,
    ledger,
    preferences,
    run_tick,
    session,
)
from tests.playground import Playground


async def next_tick(runtime: Runtime) -> datetime:
    async with runtime.db.read() as uow:
        return (await demo(uow)).next_tick_at


async def test_an_idle_workspace_is_not_read_until_its_next_moment(
    runtime: Runtime, clock: FakeClock
) -> None:
    first = await run_tick(runtime)
    assert first.workspaces == 1

    moment = await next_tick(runtime)
    # The demo workspace reviews on Tuesdays at 09:00 in Amsterdam; nothing else is planned.
    assert clock.now() < moment <= clock.now() + LONGEST_WAIT
    assert (await run_tick(runtime)).workspaces == 0

    clock.set(moment)
    assert (await run_tick(runtime)).workspaces == 1


async def test_a_request_has_the_workspace_planned_again(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await run_tick(runtime)
    assert await next_tick(runtime) > PLAN_AGAIN

    await client.say("anna", "Could the invoice list get a filter on due date? Finance asks.")

    assert await next_tick(runtime) == PLAN_AGAIN
    assert (await run_tick(runtime)).workspaces == 1


async def test_a_new_session_brings_its_reminder_forward(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await contract(runtime)
    await run_tick(runtime)

    clock.set(datetime(2026, 11, 30, 7, 0, tzinfo=UTC))
    await session(runtime, datetime(2026, 11, 30, 9, 30, tzinfo=UTC))
    assert await next_tick(runtime) == PLAN_AGAIN
    await run_tick(runtime)

    # Planned again: the next moment is no later than the one-hour reminder (08:30 UTC).
    hour_before = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
    assert clock.now() < await next_tick(runtime) <= hour_before
    clock.set(hour_before)
    await run_tick(runtime)
    sent = [key for key, outcome in (await ledger(runtime)).items() if outcome == "sent"]
    assert any(key.startswith("reminder-hour:") for key in sent)
    assert any("Reminder" in m["text"] for m in await client.inbox("po"))


async def test_preferences_and_review_times_have_it_planned_again(runtime: Runtime) -> None:
    await run_tick(runtime)
    await preferences(runtime, "po", quiet_hours="18:00-08:00")
    assert await next_tick(runtime) == PLAN_AGAIN

    await run_tick(runtime)
    async with runtime.db.transaction() as uow:
        workspace = await demo(uow)
        workspace.review_times = "mon 10:00"
    assert await next_tick(runtime) == PLAN_AGAIN


async def test_a_change_during_the_tick_keeps_the_workspace_due(
    client: Playground, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tick stores the next moment only if nothing changed the plan since its claim."""
    async with runtime.db.read() as uow:
        workspace_id = (await demo(uow)).id
    original = rhythm.run_due

    async def run_due_then_a_request_arrives(*args: Any, **kwargs: Any) -> CoachingReport:
        report = await original(*args, **kwargs)
        await client.say("anna", "The export of the orders page gives the wrong totals.")
        return report

    monkeypatch.setattr(rhythm, "run_due", run_due_then_a_request_arrives)
    await tick_workspace(runtime.db, runtime.services, workspace_id)

    assert await next_tick(runtime) == PLAN_AGAIN


async def test_replicas_do_not_both_take_a_workspace(runtime: Runtime, clock: FakeClock) -> None:
    async with runtime.db.transaction() as uow:
        workspace: Workspace = await demo(uow)
        now = clock.now()
        assert await uow.workspaces.claim_tick(
            workspace_id=workspace.id, now=now, until=now + timedelta(minutes=1)
        )
    async with runtime.db.transaction() as uow:
        assert not await uow.workspaces.claim_tick(
            workspace_id=workspace.id, now=now, until=now + timedelta(minutes=1)
        )
    # The claim lapses: a replica that died mid-tick leaves the workspace to the next one.
    clock.advance(timedelta(minutes=1))
    assert (await run_tick(runtime)).workspaces == 1
