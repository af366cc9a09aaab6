"""the playground keeps what each person wrote beside what the bot sent them, so a reload or
another tab shows the whole conversation

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 20:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "playground_messages",
        sa.Column("from_person", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # What people wrote was never kept before: those rows go, the bot's messages stay.
    op.execute("DELETE FROM playground_messages WHERE from_person")
    with op.batch_alter_table("playground_messages") as batch:
        batch.drop_column("from_person")
