""" "merge #12 into APP-123": a request that is the same as an item already in the team's
tracker is merged into it. The tracker worker checks the key (a job, like a creation); its
stakeholder then hears the item's key and link, and hears again whenever it moves."""

from __future__ import annotations

import re

from bot.kernel.events import ActionEvent, InboundEvent, MessageEvent
from bot.kernel.i18n import N_
from handlers import outbox
from handlers.context import Context
from handlers.decisions import already_decided_text, close_cards, record
from handlers.registry import on_action
from handlers.routing import DECIDER_ROLES, Incoming, route
from storage.models import UNDECIDED_STATUSES, ItemStatus, TrackerJob

MERGE = (
    re.compile(r"^\s*merge\s+#?(?P<id>\d{1,9})\s+into\s+(?P<key>[^\s]{1,100})\s*$", re.I),
    re.compile(r"^\s*voeg\s+#?(?P<id>\d{1,9})\s+samen\s+met\s+(?P<key>[^\s]{1,100})\s*$", re.I),
)


async def merge_words(incoming: Incoming, ctx: Context) -> tuple[int, str] | None:
    for pattern in MERGE:
        found = pattern.match(incoming.text)
        if found is not None:
            return int(found["id"]), found["key"]
    return None


@route(
    "merge into",
    merge_words,
    roles=DECIDER_ROLES,
    help=(
        N_(
            "merge #12 into APP-123: the request is the same as an item in the team's "
            "tracker; its stakeholder hears when that one moves."
        ),
    ),
    shown_to=DECIDER_ROLES,
)
async def merge_into_tracker_item(
    event: MessageEvent, ctx: Context, found: tuple[int, str]
) -> None:
    item_id, key = found
    await merge_into_key(event, ctx, item_id, key)


@on_action("merge_tracker")
async def merge_into_found_item(event: ActionEvent, ctx: Context) -> None:
    """ "Merge into APP-123" on the card: one of the open items the tracker's search found."""
    item_id, _, key = event.value.partition(":")
    if not item_id.isdigit() or not key.strip():
        await outbox.answer(
            ctx, event, ctx.tr.t("I can't find that request; it may have been removed.")
        )
        return
    await merge_into_key(event, ctx, int(item_id), key.strip())


async def merge_into_key(event: InboundEvent, ctx: Context, item_id: int, key: str) -> None:
    """Merge the request into the tracker's item under ``key`` (checked by the tracker worker,
    as a link job): said in chat or clicked on the card."""
    tr = ctx.tr
    if await ctx.uow.trackers.of_workspace(workspace_id=ctx.workspace.id) is None:
        text = tr.t(
            "This workspace has no tracker yet; the PO connects one with 'heatshield tracker set'."
        )
        await outbox.answer(ctx, event, text)
        return
    item = await ctx.uow.backlog.get_for_update(workspace_id=ctx.workspace.id, item_id=item_id)
    if item is None:
        await outbox.answer(ctx, event, tr.t("I can't find #{id}.", id=item_id))
        return
    if item.status not in UNDECIDED_STATUSES:
        await outbox.answer(ctx, event, await already_decided_text(ctx, tr, item))
        return
    item.status = ItemStatus.MERGED
    await record(ctx, item, "merge", merged_into=key)
    now = ctx.clock.now()
    await ctx.uow.trackers.add_job(
        TrackerJob(item_id=item.id, action="link", target_key=key, top=False, status="pending",
                   attempts=0, next_attempt_at=now, created_at=now)
    )  # fmt: skip
    await close_cards(ctx, item, N_("Merged by {who} into {key} in the tracker."), key=key)
    ctx.outcome = f"request #{item.id} merged into {key} in the tracker"
    await outbox.answer(
        ctx,
        event,
        tr.t("Merged #{id} into {key}; once the tracker confirms it, the stakeholder hears.",
             id=item.id, key=key),
    )  # fmt: skip
