"""the open tracker items a new request may repeat, found by the tracker's search and kept
with the request's item for its card

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("backlog_items", sa.Column("tracker_matches", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("backlog_items") as batch:
        batch.drop_column("tracker_matches")
