"""backlog items remember that the "why" question was asked once more, after a reply that did
not answer it ("no idea"): a second such reply passes the request on without a reason

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "backlog_items",
        sa.Column("question_repeated", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("backlog_items") as batch:
        batch.drop_column("question_repeated")
