"""Any number of replicas may start at once, on a fresh database or an old one: one migrates
while the others wait, and the demo workspace is created once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.kernel.clock import FakeClock
from bot.kernel.settings import load_settings
from bot.runtime.app import build_runtime, prepare
from storage import migrate
from storage.db import create_engine
from storage.models import Person, Workspace
from tests.conftest import (
    POSTGRES_URL,
    REQUIRE_POSTGRES,
    START,
    _create_postgres_database,
    _drop_postgres_database,
    _postgres_reachable,
)

REPLICAS = 4


@pytest.fixture(params=["sqlite", "postgresql"])
async def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database: no tables, no alembic_version."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    problem = await _postgres_reachable()
    if problem is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(problem)
        pytest.skip(problem)
    name = f"heatshield_fresh_{uuid.uuid4().hex[:8]}"
    await _create_postgres_database(name)
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    await _drop_postgres_database(name)


async def _start_together(url: str) -> tuple[int, int]:
    settings = load_settings(database_url=url, playground=True, demo_workspace=True)
    runtimes = [build_runtime(settings, clock=FakeClock(START)) for _ in range(REPLICAS)]
    try:
        await asyncio.gather(*(prepare(runtime) for runtime in runtimes))
        async with runtimes[0].db.transaction() as uow:
            workspaces = await uow.session.scalar(select(func.count()).select_from(Workspace))
            people = await uow.session.scalar(select(func.count()).select_from(Person))
        return int(workspaces or 0), int(people or 0)
    finally:
        for runtime in runtimes:
            await runtime.engine.dispose()
            await runtime.store_engine.dispose()


async def test_replicas_started_together_on_a_fresh_database_all_start(
    fresh_database: str,
) -> None:
    workspaces, people = await _start_together(fresh_database)

    assert workspaces == 1
    assert people == 4  # the demo's PO, coach, stakeholder and team member, once each


async def test_replicas_started_together_on_a_migrated_database_change_nothing(
    fresh_database: str,
) -> None:
    await _start_together(fresh_database)

    assert await _start_together(fresh_database) == (1, 4)


async def test_replicas_started_together_on_an_older_schema_migrate_it_once(
    fresh_database: str,
) -> None:
    engine = create_engine(fresh_database)
    try:
        await migrate.upgrade(engine, "0004")
    finally:
        await engine.dispose()

    assert await _start_together(fresh_database) == (1, 4)
