"""Setting up a coaching contract in the demo workspace, and running the scheduler's tick."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.runtime.app import Runtime
from handlers.coaching.contract import ContractSpec, add_session, set_contract
from handlers.coaching.preferences import PreferencesSpec, set_preferences
from handlers.rhythm import TickReport, tick
from storage.coaching_models import ScheduledSend


async def demo(uow: Any) -> Any:
    workspace = await uow.workspaces.get(platform="playground", external_id="demo")
    assert workspace is not None
    return workspace


async def contract(runtime: Runtime, **fields: Any) -> None:
    fields.setdefault("coach", "coach")
    fields.setdefault("start", date(2026, 11, 23))
    async with runtime.db.transaction() as uow:
        await set_contract(uow, runtime.services, await demo(uow), ContractSpec(**fields))


async def session(runtime: Runtime, at: datetime, scope: str | None = None) -> None:
    async with runtime.db.transaction() as uow:
        await add_session(uow, runtime.services, await demo(uow), at, scope)


async def preferences(runtime: Runtime, user: str, **fields: Any) -> None:
    async with runtime.db.transaction() as uow:
        spec = PreferencesSpec(**fields)
        await set_preferences(uow, await demo(uow), user, spec, runtime.services.clock.now())


async def run_tick(runtime: Runtime) -> TickReport:
    report = await tick(runtime.db, runtime.services)
    await runtime.worker.deliver_due()
    return report


async def ledger(runtime: Runtime) -> dict[str, str]:
    from sqlalchemy import select

    async with runtime.db.transaction() as uow:
        rows = (await uow.session.scalars(select(ScheduledSend))).all()
        return {row.key: row.outcome for row in rows}
