"""a sent message is found by the reference its platform gave it (a stakeholder's reply in
its thread is about the request it was about)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 01:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_delivered_ref", "outbox", ["platform", "delivered_ref"])


def downgrade() -> None:
    op.drop_index("ix_outbox_delivered_ref", table_name="outbox")
