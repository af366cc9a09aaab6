"""Inbound rows stored in one round trip on PostgreSQL: the ack path's only statement.

A group of rows goes as one ``INSERT ... SELECT FROM unnest(arrays)`` in autocommit: a single
statement is atomic by itself, so no BEGIN and COMMIT around it, and the rows travel as ten
arrays instead of a VALUES list that SQLAlchemy would build and bind row by row. At thousands
of acks a second that is most of what storing costs the ack path's process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

# (column, PostgreSQL array type) in the order of the unnest's arguments.
COLUMNS = (
    ("platform", "varchar"),
    ("idempotency_key", "varchar"),
    ("workspace_external_id", "varchar"),
    ("conversation_key", "varchar"),
    ("kind", "varchar"),
    ("event", "json"),
    ("status", "varchar"),
    ("attempts", "integer"),
    ("next_attempt_at", "timestamptz"),
    ("received_at", "timestamptz"),
)
INSERT = (
    f"INSERT INTO inbound_events ({', '.join(name for name, _ in COLUMNS)}) "
    "SELECT * FROM unnest("
    + ", ".join(f"${n}::{kind}[]" for n, (_, kind) in enumerate(COLUMNS, start=1))
    + ") ON CONFLICT (platform, idempotency_key) DO NOTHING "
    "RETURNING platform, idempotency_key"
)


def as_arrays(rows: Sequence[Mapping[str, Any]]) -> tuple[list[Any], ...]:
    """The rows as one list per column (the event is JSON text already: the driver sends it
    as it is)."""
    return tuple([row[name] for row in rows] for name, _ in COLUMNS)


async def add_on_postgresql(
    engine: AsyncEngine, rows: Sequence[Mapping[str, Any]]
) -> set[tuple[str, str]]:
    """Store the rows; the (platform, key) of those that are new (a key seen before is left
    as it is)."""
    if not rows:
        return set()
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        result = await autocommit.exec_driver_sql(INSERT, as_arrays(rows))
        stored: Sequence[Any] = result.all()
        return {(platform, key) for platform, key in stored}
