"""a proposed change to the coaching contract remembers the card that asks for confirmation,
so the card can show the answer (and lose its buttons) once the change is confirmed or declined

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contract_proposals") as batch:
        batch.add_column(sa.Column("card_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_contract_proposals_card_id_outbox", "outbox", ["card_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("contract_proposals") as batch:
        batch.drop_constraint("fk_contract_proposals_card_id_outbox", type_="foreignkey")
        batch.drop_column("card_id")
