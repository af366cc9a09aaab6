"""a tracker set in chat is checked by the tracker worker before it is stored: a job of its
own ("check"), for a workspace rather than an item

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tracker_jobs") as batch:
        batch.alter_column("item_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("workspace_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_tracker_jobs_workspace_id_workspaces",
            "workspaces",
            ["workspace_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    op.execute("DELETE FROM tracker_jobs WHERE item_id IS NULL")
    with op.batch_alter_table("tracker_jobs") as batch:
        batch.drop_constraint("fk_tracker_jobs_workspace_id_workspaces", type_="foreignkey")
        batch.drop_column("workspace_id")
        batch.alter_column("item_id", existing_type=sa.Integer(), nullable=False)
