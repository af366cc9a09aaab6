"""scheduled sends count their failures: a send that failed is kept in the ledger as
"retrying" with how often it failed, so every replica counts alike and a restart does not start
the count over (it was kept in each process's memory)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, also on SQLite (no table rebuild).
    op.add_column(
        "scheduled_sends",
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    # A send still being tried was not in the ledger before: without its row it is tried anew.
    op.execute("DELETE FROM scheduled_sends WHERE outcome = 'retrying'")
    with op.batch_alter_table("scheduled_sends") as batch:
        batch.drop_column("failures")
