"""inbound queue and duplicate index: the inbound table becomes the workers' queue (claims,
attempts, order per conversation); embeddings are stored as float32 bytes with each request's
length in words, and items carry when they last changed, for the in-memory duplicate index

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 03:18:57.110988
"""

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORD = re.compile(r"\w+(?:['’-]\w+)*")


def upgrade() -> None:
    with op.batch_alter_table("backlog_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vector", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("words", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("changed_at", storage.models.UTCDateTime(timezone=True), nullable=True)
        )
    _move_embeddings()
    with op.batch_alter_table("backlog_items", schema=None) as batch_op:
        batch_op.drop_column("embedding")
        batch_op.alter_column("vector", new_column_name="embedding")
        batch_op.alter_column(
            "changed_at",
            existing_type=storage.models.UTCDateTime(timezone=True),
            nullable=False,
        )
        batch_op.create_index(
            "ix_backlog_items_workspace_changed", ["workspace_id", "changed_at"], unique=False
        )

    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("conversation_key", sa.String(length=512), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("next_attempt_at", storage.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("claimed_until", storage.models.UTCDateTime(timezone=True), nullable=True)
        )
    # Events stored before: each its own conversation, due at once.
    op.execute(
        "UPDATE inbound_events SET conversation_key = "
        "'before-0005/' || platform || '/' || workspace_external_id || '/' || id, "
        "next_attempt_at = received_at"
    )
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.alter_column(
            "next_attempt_at",
            existing_type=storage.models.UTCDateTime(timezone=True),
            nullable=False,
        )
        batch_op.create_index(
            "ix_inbound_events_claim", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            "ix_inbound_events_conversation", ["conversation_key", "id"], unique=False
        )


def _move_embeddings() -> None:
    """JSON lists of floats to float32 bytes; words counted from the request's text."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT b.id, b.embedding, b.created_at, b.decided_at, r.text, r.clarification "
            "FROM backlog_items b JOIN requests r ON r.id = b.request_id"
        )
    ).fetchall()
    update = sa.text(
        "UPDATE backlog_items SET vector = :vector, words = :words, changed_at = :changed "
        "WHERE id = :id"
    ).bindparams(
        sa.bindparam("vector", type_=sa.LargeBinary()),
        sa.bindparam("changed", type_=storage.models.UTCDateTime(timezone=True)),
    )
    for row in rows:
        embedding = row.embedding
        if isinstance(embedding, str):
            embedding = json.loads(embedding)
        vector = np.asarray(embedding, dtype=np.float32).tobytes() if embedding else None
        text = row.text + (f"\n\n{row.clarification}" if row.clarification else "")
        changed = row.decided_at or row.created_at or datetime.now(UTC)
        if isinstance(changed, str):
            changed = datetime.fromisoformat(changed)
        if changed.tzinfo is None:
            changed = changed.replace(tzinfo=UTC)
        connection.execute(
            update,
            {
                "vector": vector,
                "words": len(WORD.findall(text.lower())),
                "changed": changed,
                "id": row.id,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_events_conversation")
        batch_op.drop_index("ix_inbound_events_claim")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("conversation_key")
    with op.batch_alter_table("backlog_items", schema=None) as batch_op:
        batch_op.drop_index("ix_backlog_items_workspace_changed")
        batch_op.drop_column("changed_at")
        batch_op.drop_column("words")
        batch_op.drop_column("embedding")
        batch_op.add_column(sa.Column("embedding", sa.JSON(), nullable=True))
