"""a person's own playground message is kept under its event's key, once: stored before the
event is accepted, and again (as a no-op) when the client sends the event once more

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "playground_messages", sa.Column("inbound_key", sa.String(length=255), nullable=True)
    )
    op.create_index(
        "ux_playground_messages_own",
        "playground_messages",
        ["workspace", "user_id", "inbound_key"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_playground_messages_own", table_name="playground_messages")
    with op.batch_alter_table("playground_messages") as batch:
        batch.drop_column("inbound_key")
