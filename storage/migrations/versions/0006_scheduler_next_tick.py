"""scheduler's next tick per workspace: when the scheduler next has work there, indexed, so a
tick reads only the workspaces whose moment has come; deferred items found by their date

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # As each database writes such a moment itself: SQLite keeps datetimes as text.
    sqlite = op.get_bind().dialect.name == "sqlite"
    epoch = "'1970-01-01 00:00:00.000000'" if sqlite else "'1970-01-01 00:00:00+00'"
    # Plain ALTER TABLE ADD COLUMN, also on SQLite: rebuilding the table there would cascade
    # the drop of the old one to every row that refers to a workspace.
    op.add_column(
        "workspaces",
        sa.Column(
            "next_tick_at",
            storage.models.UTCDateTime(timezone=True),
            nullable=False,
            server_default=sa.text(epoch),
        ),
    )
    op.create_index("ix_workspaces_next_tick_at", "workspaces", ["next_tick_at"], unique=False)
    op.create_index(
        "ix_backlog_items_status_deferred",
        "backlog_items",
        ["status", "deferred_until"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_backlog_items_status_deferred", table_name="backlog_items")
    op.drop_index("ix_workspaces_next_tick_at", table_name="workspaces")
    op.drop_column("workspaces", "next_tick_at")  # SQLite 3.35+ drops a column in place
