"""Small facts about backlog items that several handlers need."""

from __future__ import annotations

from collections.abc import Set

from handlers.context import Context
from handlers.triage import Reason
from storage.models import BacklogItem, ItemType


def breaks_through(item: BacklogItem) -> bool:
    """Whether the item goes to the PO at once instead of waiting for the next review."""
    return item.urgent or item.type == ItemType.INCIDENT


async def duplicate_of(ctx: Context, item: BacklogItem) -> BacklogItem | None:
    if item.duplicate_of_id is None:
        return None
    return await ctx.uow.backlog.get(workspace_id=ctx.workspace.id, item_id=item.duplicate_of_id)


async def already_alerted(ctx: Context, item: BacklogItem) -> bool:
    """Another report of something that already broke through is linked, not alerted again:
    ten people reporting one outage interrupt the PO once."""
    original = await duplicate_of(ctx, item)
    return original is not None and breaks_through(original)


def add_reason(
    item: BacklogItem, msgid: str, replaces: Set[str] = frozenset(), **params: str
) -> None:
    """Add what a person said or decided to the item's reasons, dropping the triage's own
    reasons about the same thing (the card must not say "not urgent" once it is)."""
    kept = [r for r in item.reasons if not (isinstance(r, dict) and r.get("msgid") in replaces)]
    item.reasons = [*kept, reason_json(Reason(msgid, dict(params)))]


def reason_json(reason: Reason) -> dict[str, object]:
    return {"msgid": reason.msgid, "params": dict(reason.params)}
