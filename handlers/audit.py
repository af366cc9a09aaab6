"""Refused actions are written down: who tried what, on what, and why it was refused."""

from __future__ import annotations

from handlers.context import Context
from storage.models import AuditEntry

NO_SUCH_ITEM = "no such item in this workspace"


async def audit_refusal(ctx: Context, action: str, target: str | None, reason: str) -> None:
    await ctx.uow.audit.add(
        AuditEntry(
            workspace_id=ctx.workspace.id,
            platform=ctx.workspace.platform,
            actor_user_id=ctx.actor.platform_user_id,
            action=action[:64],
            target=target[:255] if target else None,
            reason=reason,
            at=ctx.clock.now(),
        )
    )
