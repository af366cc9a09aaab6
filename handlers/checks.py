"""The stakeholder's answers to the triage's one question, and the "It's urgent" button.

Only the request's own stakeholder may answer; anyone else is refused politely and audited.
"Yes, it is blocking people now" and "It's urgent" break through to the PO at once; "Same"
links the request to the earlier one for the PO.
"""

from __future__ import annotations

import logging

from bot.kernel.events import ActionEvent
from bot.kernel.i18n import N_
from bot.kernel.outbound import OutboundMessage
from handlers import outbox
from handlers.acknowledge import expectation, refresh_cards
from handlers.audit import NO_SUCH_ITEM, audit_refusal
from handlers.cards import status_name
from handlers.context import Context
from handlers.intake import alert_deciders
from handlers.items import add_reason
from handlers.registry import on_action
from handlers.routing import EVERYONE
from handlers.triage import reason_texts as m
from storage.models import UNDECIDED_STATUSES, BacklogItem, ItemType

log = logging.getLogger(__name__)
MAX_ID = 2**31
SAYS_BLOCKING = N_("Urgent: {name} says this is blocking people now.")
MARKED_URGENT = N_("Urgent: {name} marked this request as urgent.")
PASSED_ON = N_(
    "Thanks. I've passed it to the PO right away; you'll hear from me as soon as they decide."
)


async def own_undecided(event: ActionEvent, ctx: Context) -> BacklogItem | None:
    """The stakeholder's own request the button is for, still waiting for the PO; None after
    telling the clicker why not."""
    tr = ctx.tr
    try:
        item_id = int(event.value)
    except ValueError:
        item_id = -1
    item = None
    if 0 < item_id < MAX_ID:
        item = await ctx.uow.backlog.get_for_update(workspace_id=ctx.workspace.id, item_id=item_id)
    if item is None:
        await audit_refusal(ctx, event.action_id, event.value, NO_SUCH_ITEM)
        await outbox.answer(
            ctx, event, tr.t("I can't find that request; it may have been removed.")
        )
        return None
    if item.request.stakeholder_id != ctx.actor.id:
        log.warning("Refused %s on item %s by %s", event.action_id, item.id, ctx.actor.id)
        await audit_refusal(ctx, event.action_id, event.value, "not the stakeholder")
        text = tr.t("Only the person who sent this request can answer that; nothing was changed.")
        # In a channel's thread the refusal would be read by everyone: it goes one-to-one.
        await outbox.send_direct(ctx, ctx.actor, OutboundMessage(text=text))
        return None
    if item.status not in UNDECIDED_STATUSES:
        text = tr.t(
            'The PO has already decided on "{title}" ({status}); nothing was changed.',
            title=item.title,
            status=status_name(tr, item.status),
        )
        await outbox.answer(ctx, event, text)
        return None
    return item


async def open_question(event: ActionEvent, ctx: Context, kind: str) -> BacklogItem | None:
    item = await own_undecided(event, ctx)
    if item is None:
        return None
    if item.check_kind != kind or item.check_answer is not None:
        await outbox.answer(ctx, event, ctx.tr.t("You answered that already; nothing was changed."))
        return None
    return item


async def break_through(ctx: Context, item: BacklogItem, headline: str) -> None:
    item.urgent = True
    item.urgent_by = "stakeholder"
    await alert_deciders(ctx, item, headline)


@on_action("urgency_yes", roles=EVERYONE)
async def urgency_yes(event: ActionEvent, ctx: Context) -> None:
    item = await open_question(event, ctx, "urgency")
    if item is None:
        return
    item.check_answer = "yes"
    if item.type in (ItemType.BUG, ItemType.QUESTION):
        item.type = ItemType.INCIDENT  # broken now for the people it blocks
    add_reason(item, m.STAKEHOLDER_URGENT, m.ABOUT_URGENCY)
    if not item.urgent:  # the PO may have marked it urgent before the answer came
        await break_through(ctx, item, SAYS_BLOCKING)
    await refresh_cards(ctx, item, "yes")
    await outbox.answer(ctx, event, ctx.tr.t(PASSED_ON))


@on_action("urgency_no", roles=EVERYONE)
async def urgency_no(event: ActionEvent, ctx: Context) -> None:
    item = await open_question(event, ctx, "urgency")
    if item is None:
        return
    item.check_answer = "no"
    add_reason(item, m.STAKEHOLDER_CAN_WAIT, m.ABOUT_URGENCY)
    await refresh_cards(ctx, item, "no")
    await outbox.answer(ctx, event, expectation(ctx, ctx.tr, ctx.actor, ctx.actor.name))


@on_action("duplicate_same", roles=EVERYONE)
async def duplicate_same(event: ActionEvent, ctx: Context) -> None:
    item = await open_question(event, ctx, "duplicate")
    if item is None:
        return
    item.check_answer = "same"
    other_id = item.check_of_id
    other = None
    if other_id is not None:
        other = await ctx.uow.backlog.get(workspace_id=ctx.workspace.id, item_id=other_id)
    tr = ctx.tr
    if other is None:
        await outbox.answer(
            ctx, event, tr.t("I can't find that request; it may have been removed.")
        )
        return
    item.duplicate_of_id = other.id
    add_reason(item, m.STAKEHOLDER_SAME, m.ABOUT_DUPLICATE, id=str(other.id))
    await refresh_cards(ctx, item, "same", {"id": other.id})
    linked = tr.t(
        'Thanks, I\'ve linked it to #{id} "{title}" for the PO.', id=other.id, title=other.title
    )
    await outbox.answer(ctx, event, f"{linked} {expectation(ctx, tr, ctx.actor, ctx.actor.name)}")


@on_action("duplicate_other", roles=EVERYONE)
async def duplicate_other(event: ActionEvent, ctx: Context) -> None:
    item = await open_question(event, ctx, "duplicate")
    if item is None:
        return
    item.check_answer = "other"
    add_reason(item, m.STAKEHOLDER_OTHER, m.ABOUT_DUPLICATE, id=str(item.check_of_id))
    await refresh_cards(ctx, item, "other", {"id": item.check_of_id})
    await outbox.answer(ctx, event, expectation(ctx, ctx.tr, ctx.actor, ctx.actor.name))


@on_action("escalate", roles=EVERYONE)
async def escalate(event: ActionEvent, ctx: Context) -> None:
    """ "It's urgent": the stakeholder overrules the triage, and the PO hears at once."""
    item = await own_undecided(event, ctx)
    if item is None:
        return
    if item.urgent or item.escalated_at is not None:
        await outbox.answer(ctx, event, ctx.tr.t("It is marked urgent already; the PO has it."))
        return
    if item.urgent_by == "po":
        text = ctx.tr.t("The PO has looked at it and decided it can wait for the next review.")
        await outbox.answer(ctx, event, text)
        return
    item.escalated_at = ctx.clock.now()
    add_reason(item, m.STAKEHOLDER_ESCALATED, m.ABOUT_URGENCY)
    await break_through(ctx, item, MARKED_URGENT)
    await refresh_cards(ctx, item, "escalated")
    log.info("Stakeholder %s escalated item %s", ctx.actor.id, item.id)
    await outbox.answer(ctx, event, ctx.tr.t(PASSED_ON))
