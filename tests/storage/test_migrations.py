"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.models import Base, UTCDateTime


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_the_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()

    assert differences == []


async def test_0005_moves_stored_embeddings_and_queues_old_inbounds(tmp_path: object) -> None:
    """Data written by the schema before 0005 comes through: JSON embeddings become float32
    bytes, words are counted, old inbounds get a conversation of their own and are due."""
    import json
    from pathlib import Path

    import numpy as np
    from sqlalchemy import text

    from storage import migrate

    path = Path(str(tmp_path)) / "old.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await migrate.upgrade(engine, "0004")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO workspaces (id, platform, external_id, timezone, language, "
                    "review_times, created_at) VALUES (1, 'playground', 'demo', "
                    "'Europe/Amsterdam', 'en', 'tue 09:00', '2026-11-23 09:00:00.000000')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO people (id, workspace_id, platform_user_id, role, created_at) "
                    "VALUES (1, 1, 'anna', 'stakeholder', '2026-11-23 09:00:00.000000')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO requests (id, workspace_id, stakeholder_id, text, source, "
                    "conversation, inbound_key, received_at) VALUES (1, 1, 1, "
                    "'The export shows the wrong totals', 'direct', '{}', 'k', "
                    "'2026-11-23 09:00:00.000000')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO backlog_items (id, workspace_id, request_id, title, type, urgent,"
                    " needs_info, status, reasons, embedding, embedding_model, created_at) VALUES "
                    "(1, 1, 1, 'The export', 'bug', 0, 0, 'queued', '[]', :vector, 'usem3', "
                    "'2026-11-23 09:00:00.000000')"
                ),
                {"vector": json.dumps([0.5, -0.25, 1.0])},
            )
            await connection.execute(
                text(
                    "INSERT INTO inbound_events (id, platform, idempotency_key, "
                    "workspace_external_id, kind, event, status, received_at) VALUES "
                    "(7, 'playground', 'k', 'demo', 'message', '{}', 'pending', "
                    "'2026-11-23 09:00:00.000000')"
                )
            )
        await migrate.upgrade(engine)
        async with engine.connect() as connection:
            item = (
                await connection.execute(
                    text("SELECT embedding, words, changed_at FROM backlog_items")
                )
            ).one()
            inbound = (
                await connection.execute(
                    text("SELECT conversation_key, attempts, next_attempt_at FROM inbound_events")
                )
            ).one()
    finally:
        await engine.dispose()

    assert np.frombuffer(item.embedding, dtype="<f4").tolist() == [0.5, -0.25, 1.0]
    assert item.words == 6 and item.changed_at is not None
    assert inbound.conversation_key == "before-0005/playground/demo/7"
    assert inbound.attempts == 0 and inbound.next_attempt_at is not None


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no schema yet, to migrate step by step."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    from sqlalchemy.engine import make_url

    from tests.conftest import (
        POSTGRES_URL,
        _create_postgres_database,
        _drop_postgres_database,
        _postgres_reachable,
    )

    problem = await _postgres_reachable()
    if problem is not None:
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    name = f"heatshield_migrate_{uuid.uuid4().hex[:10]}"
    await _create_postgres_database(name)
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _drop_postgres_database(name)


async def _downgrade(engine: Any, revision: str) -> None:
    from alembic import command

    from storage import migrate

    def run(connection: Connection) -> None:
        config = migrate.alembic_config(str(engine.url))
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


def _teams_inbound(row_id: int, tenant: str, extra: dict[str, str], at: datetime) -> dict[str, Any]:
    conversation = {"platform": "teams", "workspace": tenant, "channel": f"a:{row_id}"}
    return {
        "id": row_id,
        "platform": "teams",
        "idempotency_key": f"message:{row_id}",
        "workspace_external_id": tenant,
        "conversation_key": f"teams/{tenant}/a:{row_id}",
        "kind": "message",
        "event": {"kind": "message", "conversation": {**conversation, "extra": extra}},
        "status": "done",
        "attempts": 1,
        "next_attempt_at": at,
        "received_at": at,
    }


async def test_0008_and_0009_keep_the_data_there_was(empty_database: str) -> None:
    """Each Teams tenant's endpoint is filled from its latest inbound event with a serviceUrl
    the endpoint accepts; scheduled sends settled before count no failures."""
    from sqlalchemy import text

    from storage import migrate
    from storage.coaching_models import ScheduledSend
    from storage.models import InboundRecord, TeamsTenant

    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    emea = "https://smba.trafficmanager.net/emea/"
    teams = "https://smba.trafficmanager.net/teams/"
    rows = [
        _teams_inbound(1, "tenant-a", {"serviceUrl": emea, "botId": "28:bot"}, start),
        _teams_inbound(2, "tenant-a", {"serviceUrl": teams}, start + timedelta(minutes=1)),
        _teams_inbound(3, "tenant-a", {"tenantId": "tenant-a"}, start + timedelta(minutes=2)),
        _teams_inbound(4, "tenant-b", {"serviceUrl": emea, "botId": "28:b"}, start),
        # Forged: never accepted at the door, and not taken from the table either.
        _teams_inbound(5, "tenant-b", {"serviceUrl": "http://evil.example/"}, start),
        _teams_inbound(6, "tenant-c", {"serviceUrl": "ftp://127.0.0.1/"}, start),
    ]
    sends = sa.table(
        "scheduled_sends",
        *(sa.column(name) for name in ("id", "key", "kind", "outcome")),
        sa.column("due_at", UTCDateTime()),
        sa.column("decided_at", UTCDateTime()),
    )
    engine = create_engine(empty_database)
    try:
        await migrate.upgrade(engine, "0007")
        async with engine.begin() as connection:
            await connection.execute(InboundRecord.__table__.insert(), rows)
            await connection.execute(
                sends.insert().values(
                    id=1, key="digest:1:2026-W47", kind="digest", outcome="sent",
                    due_at=start, decided_at=start,
                )
            )  # fmt: skip
        await migrate.upgrade(engine)
        async with engine.connect() as connection:
            tenants = (
                await connection.execute(
                    sa.select(TeamsTenant.__table__).order_by(TeamsTenant.tenant_id)
                )
            ).all()
            failures = (
                await connection.execute(sa.select(ScheduledSend.__table__.c.failures))
            ).scalars()
            assert list(failures) == [0]
        await _downgrade(engine, "0007")  # and back down, with nothing left behind
        async with engine.connect() as connection:
            assert "teams_tenants" not in await connection.run_sync(
                lambda sync: sa.inspect(sync).get_table_names()
            )
            columns = await connection.run_sync(
                lambda sync: [c["name"] for c in sa.inspect(sync).get_columns("scheduled_sends")]
            )
            assert "failures" not in columns
            assert (
                await connection.execute(text("SELECT count(*) FROM scheduled_sends"))
            ).scalar() == 1
    finally:
        await engine.dispose()

    assert [(t.tenant_id, t.service_url, t.bot_id) for t in tenants] == [
        ("tenant-a", teams, None),
        ("tenant-b", emea, "28:b"),
    ]
    assert tenants[0].seen_at == start + timedelta(minutes=1)
