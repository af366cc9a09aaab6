"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.kernel.clock import FakeClock
from bot.kernel.settings import load_settings
from bot.runtime.app import Runtime, build_runtime, create_app, prepare
from storage import migrate
from storage.db import create_engine
from storage.models import Base
from tests.playground import Playground

POSTGRES_URL = os.environ.get(
    "HEATSHIELD_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("HEATSHIELD_TEST_REQUIRE_POSTGRES") == "1"
# A Monday morning in Amsterdam; the demo workspace reviews on Tuesday and Thursday at 09:00.
START = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


async def _postgres_reachable() -> str | None:
    engine = create_engine(POSTGRES_URL)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()


async def _create_postgres_database(name: str) -> None:
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


async def _drop_postgres_database(name: str) -> None:
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


async def _upgrade(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated once."""
    problem = asyncio.run(_postgres_reachable())
    if problem is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required but unreachable at {POSTGRES_URL}: {problem}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}: {problem}")
    name = f"heatshield_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_create_postgres_database(name))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_upgrade(url))
    yield url
    asyncio.run(_drop_postgres_database(name))


async def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "heatshield.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    asyncio.run(_truncate_all(url))
    yield url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def runtime(database_url: str, clock: FakeClock) -> AsyncIterator[Runtime]:
    settings = load_settings(database_url=database_url, playground=True, demo_workspace=True)
    runtime = build_runtime(settings, clock=clock)
    await prepare(runtime, upgrade=False)
    yield runtime
    await runtime.engine.dispose()


@pytest.fixture
async def replica(runtime: Runtime, clock: FakeClock) -> AsyncIterator[Runtime]:
    """A second application on the same database, as a second replica runs."""
    url = runtime.engine.url.render_as_string(hide_password=False)
    other = build_runtime(load_settings(database_url=url), clock=clock)
    yield other
    await other.engine.dispose()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[Playground]:
    """The playground API over real HTTP, with the bot behind it (no background tasks)."""
    app = create_app(runtime, background=False)
    async with TestClient(TestServer(app)) as test_client:
        yield Playground(test_client)
