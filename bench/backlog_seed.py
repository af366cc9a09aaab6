"""A large open backlog written straight into the tables, for the benchmarks that need one.

Requests and their items are inserted in bulk (ids given, multi-row INSERTs), each item with a
stored embedding of the model the triage compares requests with; the caller brings the vectors
(random unit vectors do: the lookup's cost does not depend on what they mean).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from handlers.triage.embedding import Matrix
from handlers.triage.types import TYPES
from storage.models import BacklogItem, ItemStatus, Person, Request, Workspace

# Candidate statuses, about as a backlog holds them.
STATUSES = (*[ItemStatus.QUEUED] * 6, ItemStatus.NEEDS_INFO, ItemStatus.DEFERRED,
            ItemStatus.APPROVED, ItemStatus.APPROVED)  # fmt: skip


def unit(rows: Matrix) -> Matrix:
    result: Matrix = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    return result


async def insert_rows(connection: AsyncConnection, table: Any, rows: list[dict[str, Any]]) -> None:
    """The rows, ids given, as multi-row INSERT ... VALUES statements of up to 1,000 rows: one
    compiled statement, batched by SQLAlchemy's "insertmanyvalues" (which RETURNING turns on;
    the ids come back in no particular order, hence given)."""
    await connection.execute(insert(table).returning(table.c.id), rows)


async def insert_open_items(
    engine: AsyncEngine,
    *,
    workspace_id: int,
    stakeholder_id: int,
    vectors: Matrix,
    model: str,
    now: datetime,
    rng: np.random.Generator,
    tag: str,
) -> range:
    """One open request and item per vector, last changed a day or more ago (none within the
    index's overlap); the items' ids."""
    size = len(vectors)
    words = rng.integers(4, 80, size)
    types = rng.integers(0, len(TYPES), size)
    ages = rng.integers(1, 90 * 24, size)  # hours
    async with engine.begin() as connection:
        first_request = (await connection.scalar(select(func.max(Request.id))) or 0) + 1
        first_item = (await connection.scalar(select(func.max(BacklogItem.id))) or 0) + 1
        request_ids = range(first_request, first_request + size)
        item_ids = range(first_item, first_item + size)
        times = [now - timedelta(hours=int(hours)) for hours in ages]
        titles = [f"Request {n} of {tag}" for n in range(size)]
        await insert_rows(connection, Request.__table__, [{
            "id": request_ids[n], "workspace_id": workspace_id, "stakeholder_id": stakeholder_id,
            "text": titles[n], "source": "direct", "conversation": {},
            "inbound_key": f"bench-{tag}-{n}", "received_at": times[n],
        } for n in range(size)])  # fmt: skip
        await insert_rows(connection, BacklogItem.__table__, [{
            "id": item_ids[n], "workspace_id": workspace_id, "request_id": request_ids[n],
            "title": titles[n], "type": TYPES[types[n]], "urgent": n % 17 == 0,
            "needs_info": False, "status": STATUSES[n % len(STATUSES)], "reasons": [],
            "embedding": vectors[n].astype("<f4").tobytes(), "embedding_model": model,
            "words": int(words[n]), "changed_at": times[n], "created_at": times[n],
        } for n in range(size)])  # fmt: skip
        if connection.dialect.name == "postgresql":  # ids given: the sequences move on
            for table in ("requests", "backlog_items"):
                await connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                ))  # fmt: skip
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE backlog_items"))
    return item_ids


async def workspace_and_person(
    engine: AsyncEngine, *, platform: str, workspace: str, user: str
) -> tuple[int, int]:
    """The ids of a workspace (by platform and external id) and one of its people."""
    async with engine.connect() as connection:
        workspace_id = await connection.scalar(
            select(Workspace.id).where(
                Workspace.platform == platform, Workspace.external_id == workspace
            )
        )
        person_id = await connection.scalar(
            select(Person.id).where(
                Person.workspace_id == workspace_id, Person.platform_user_id == user
            )
        )
    if workspace_id is None or person_id is None:
        raise SystemExit(f"no workspace {platform}/{workspace} with {user} to seed")
    return int(workspace_id), int(person_id)


def random_vectors(rng: np.random.Generator, size: int, dimensions: int) -> Matrix:
    return unit(rng.standard_normal((size, dimensions), dtype=np.float32))
