"""each person remembers the triage-queue list they have open, so paging rewrites it in place
and a new `queue` replaces it instead of leaving full copies behind

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("people", sa.Column("queue_card_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("queue_card_id")
