"""trackers: where each workspace's backlog lives (its setting, checked when set), the jobs
that create approved requests there (the tracker's outbox), and each item's key, link and
state in it, and when it shipped

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workspace_trackers",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("project", sa.String(255), nullable=True),
        sa.Column("repo", sa.String(255), nullable=True),
        sa.Column("team", sa.String(255), nullable=True),
        sa.Column("issue_type", sa.String(255), nullable=True),
        sa.Column("position_field", sa.String(255), nullable=True),
        sa.Column("webhook_secret", sa.String(255), nullable=True),
        sa.Column("checked", sa.Text(), nullable=False),
        sa.Column("set_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"],
            name="fk_workspace_trackers_workspace_id_workspaces", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_workspace_trackers"),
    )  # fmt: skip
    op.create_table(
        "tracker_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False, server_default="create"),
        sa.Column("target_key", sa.String(255), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("top", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("maybe_sent", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["backlog_items.id"],
            name="fk_tracker_jobs_item_id_backlog_items", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tracker_jobs"),
    )  # fmt: skip
    op.create_index(
        "ix_tracker_jobs_status_next_attempt", "tracker_jobs", ["status", "next_attempt_at"]
    )
    op.add_column("backlog_items", sa.Column("tracker_key", sa.String(255), nullable=True))
    op.add_column("backlog_items", sa.Column("tracker_url", sa.Text(), nullable=True))
    op.add_column("backlog_items", sa.Column("tracker_state", sa.String(16), nullable=True))
    op.add_column(
        "backlog_items",
        sa.Column("shipped_at", storage.models.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("backlog_items") as batch:
        batch.drop_column("shipped_at")
        batch.drop_column("tracker_state")
        batch.drop_column("tracker_url")
        batch.drop_column("tracker_key")
    op.drop_index("ix_tracker_jobs_status_next_attempt", table_name="tracker_jobs")
    op.drop_table("tracker_jobs")
    op.drop_table("workspace_trackers")
