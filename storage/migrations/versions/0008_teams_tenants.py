"""teams tenants: where each Teams tenant is reached (the Bot Connector's serviceUrl and the
bot's id of its latest activity), stored as activities arrive instead of searched for in the
inbound events at every send; filled from the inbound events already stored

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As far back as the sender used to look for a tenant's serviceUrl.
RECENT_INBOUNDS = 50
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def upgrade() -> None:
    op.create_table(
        "teams_tenants",
        sa.Column("tenant_id", sa.String(length=255), nullable=False),
        sa.Column("service_url", sa.Text(), nullable=False),
        sa.Column("bot_id", sa.String(length=255), nullable=True),
        sa.Column("seen_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_teams_tenants")),
    )
    _fill_from_inbound_events()


def downgrade() -> None:
    op.drop_table("teams_tenants")


def _fill_from_inbound_events() -> None:
    """Each tenant's endpoint as its latest stored activity gave it (the sender's old search),
    if it is one the endpoint accepts: https, or plain http on this machine."""
    connection = op.get_bind()
    inbound = sa.table(
        "inbound_events",
        sa.column("id", sa.Integer()),
        sa.column("platform", sa.String()),
        sa.column("workspace_external_id", sa.String()),
        sa.column("event", sa.JSON()),
        sa.column("received_at", storage.models.UTCDateTime(timezone=True)),
    )
    tenants = sa.table(
        "teams_tenants",
        sa.column("tenant_id", sa.String()),
        sa.column("service_url", sa.Text()),
        sa.column("bot_id", sa.String()),
        sa.column("seen_at", storage.models.UTCDateTime(timezone=True)),
    )
    names = connection.execute(
        sa.select(inbound.c.workspace_external_id)
        .where(inbound.c.platform == "teams", inbound.c.workspace_external_id != "")
        .distinct()
    ).scalars()
    for tenant in list(names):
        latest = connection.execute(
            sa.select(inbound.c.event, inbound.c.received_at)
            .where(inbound.c.platform == "teams", inbound.c.workspace_external_id == tenant)
            .order_by(inbound.c.id.desc())
            .limit(RECENT_INBOUNDS)
        )
        for event, received_at in latest:
            extra = _extra(event)
            service_url = extra.get("serviceUrl")
            if _reachable(service_url):
                bot_id = extra.get("botId")
                connection.execute(
                    tenants.insert().values(
                        tenant_id=tenant,
                        service_url=service_url,
                        bot_id=bot_id if isinstance(bot_id, str) and bot_id else None,
                        seen_at=received_at,
                    )
                )
                break


def _extra(event: Any) -> dict[str, Any]:
    conversation = event.get("conversation") if isinstance(event, dict) else None
    extra = conversation.get("extra") if isinstance(conversation, dict) else None
    return extra if isinstance(extra, dict) else {}


def _reachable(value: Any) -> bool:
    """adapters/teams/tenants.py reachable_service_url as it stood at this revision: a migration
    keeps its own copy (storage never imports adapters, and a later change of the rule must
    not change what this revision did)."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
