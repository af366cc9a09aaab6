"""The PO's one-click corrections of the triage: the type, urgent or not, not a duplicate.

A correction changes the item and every card showing it, is kept like a decision (who, when,
what from and to), and makes the request a labelled example of its workspace: later requests
that resemble it are triaged the way the PO said.
"""

from __future__ import annotations

import logging

from bot.kernel.events import ActionEvent
from bot.kernel.i18n import N_
from handlers import outbox
from handlers.acknowledge import refresh_cards
from handlers.cards import TYPE_NOUNS, request_text
from handlers.context import Context
from handlers.decisions import load_undecided
from handlers.items import add_reason
from handlers.registry import on_action
from handlers.triage import reason_texts as m
from storage.models import BacklogItem, ItemType, TriageCorrection, TriageLabel

log = logging.getLogger(__name__)


def _target(event: ActionEvent) -> tuple[str, str]:
    """ "12:bug" as ("12", "bug"); the argument is empty when the value has none."""
    item, _, argument = event.value.partition(":")
    return item, argument


async def _item(event: ActionEvent, ctx: Context) -> BacklogItem | None:
    item_id, _ = _target(event)
    return await load_undecided(event.model_copy(update={"value": item_id}), ctx)


async def _invalid(event: ActionEvent, ctx: Context) -> None:
    text = ctx.tr.t("I don't understand that correction; nothing was changed.")
    await outbox.answer(ctx, event, text)


@on_action("correct_type")
async def correct_type(event: ActionEvent, ctx: Context) -> None:
    _, kind = _target(event)
    if kind not in {t.value for t in ItemType}:
        await _invalid(event, ctx)
        return
    item = await _item(event, ctx)
    if item is None:
        return
    tr = ctx.tr
    if item.type == kind:
        noun = tr.t(TYPE_NOUNS[ItemType(kind)])
        await outbox.answer(ctx, event, tr.t("#{id} is {type} already.", id=item.id, type=noun))
        return
    old = item.type
    item.type = kind
    await _record(ctx, item, "type", old, kind)
    replaced = m.ABOUT_TYPE
    if kind != ItemType.FEATURE:
        # Only a feature request can lack a "why"; a question already asked stays open.
        item.needs_info = False
        replaced |= m.ABOUT_WHY
    add_reason(item, m.CORRECTED_TYPE, replaced, who=ctx.actor.name, type=kind)
    noun = tr.t(TYPE_NOUNS[ItemType(kind)])
    text = tr.t(
        "Noted: #{id} is {type}. Similar requests will be triaged that way.", id=item.id, type=noun
    )
    # An incident is urgent by definition; any other urgency stays as it was.
    if kind == ItemType.INCIDENT and not item.urgent:
        await _set_urgent(ctx, item, True)
        text += " " + tr.t("It is urgent now, too.")
    await _learn(ctx, item)
    await outbox.answer(ctx, event, text)


@on_action("correct_urgent")
async def correct_urgent(event: ActionEvent, ctx: Context) -> None:
    _, answer = _target(event)
    if answer not in ("yes", "no"):
        await _invalid(event, ctx)
        return
    item = await _item(event, ctx)
    if item is None:
        return
    urgent = answer == "yes"
    tr = ctx.tr
    asking = item.check_kind == "urgency" and item.check_answer is None
    if item.urgent == urgent and not asking:
        already = (
            N_("#{id} is marked urgent already.") if urgent else N_("#{id} is not marked urgent.")
        )
        text = tr.t(already, id=item.id)
        await outbox.answer(ctx, event, text)
        return
    await _set_urgent(ctx, item, urgent)
    if not urgent and item.type == ItemType.INCIDENT:
        item.type = ItemType.BUG  # what can wait is not an incident
        await _record(ctx, item, "type", ItemType.INCIDENT, ItemType.BUG)
        add_reason(item, m.CORRECTED_TYPE, m.ABOUT_TYPE, who=ctx.actor.name, type=item.type)
    await _learn(ctx, item)
    text = (
        tr.t("Noted: #{id} is urgent. Similar requests will be triaged that way.", id=item.id)
        if urgent
        else tr.t("Noted: #{id} can wait. Similar requests will be triaged that way.", id=item.id)
    )
    await outbox.answer(ctx, event, text)


@on_action("not_duplicate")
async def not_duplicate(event: ActionEvent, ctx: Context) -> None:
    item = await _item(event, ctx)
    if item is None:
        return
    tr = ctx.tr
    if item.duplicate_of_id is None:
        await outbox.answer(ctx, event, tr.t("#{id} is not linked to another request.", id=item.id))
        return
    other = item.duplicate_of_id
    await _record(ctx, item, "duplicate", str(other), None)
    item.duplicate_of_id = None
    item.duplicate_score = None
    add_reason(
        item, m.CORRECTED_NOT_DUPLICATE, m.ABOUT_DUPLICATE, who=ctx.actor.name, id=str(other)
    )
    if item.check_kind == "duplicate" and item.check_answer is None:
        item.check_answer = "po"
    await refresh_cards(ctx, item, _closed(item))
    await outbox.answer(
        ctx, event, tr.t("Noted: #{id} is not the same as #{other}.", id=item.id, other=other)
    )


async def _set_urgent(ctx: Context, item: BacklogItem, urgent: bool) -> None:
    """The PO's word on urgency: it replaces the triage's and the stakeholder's, and closes a
    question to the stakeholder about it that is still open."""
    await _record(ctx, item, "urgent", str(item.urgent).lower(), str(urgent).lower())
    item.urgent, item.urgent_by = urgent, "po"
    if item.check_kind == "urgency" and item.check_answer is None:
        item.check_answer = "po"
    msgid = m.CORRECTED_URGENT if urgent else m.CORRECTED_NOT_URGENT
    add_reason(item, msgid, m.ABOUT_URGENCY, who=ctx.actor.name)


async def _record(
    ctx: Context, item: BacklogItem, field: str, old: str | None, new: str | None
) -> None:
    log.info(
        "Triage of item %s corrected by %s: %s %s -> %s", item.id, ctx.actor.id, field, old, new
    )
    await ctx.uow.triage.add_correction(
        TriageCorrection(
            workspace_id=ctx.workspace.id,
            item_id=item.id,
            actor_id=ctx.actor.id,
            field=field,
            old_value=old,
            new_value=new,
            at=ctx.clock.now(),
        )
    )


async def _learn(ctx: Context, item: BacklogItem) -> None:
    """The item as the PO says it is becomes (or updates) the workspace's labelled example,
    and every card showing it is drawn anew."""
    now = ctx.clock.now()
    label = await ctx.uow.triage.label_of(item_id=item.id)
    if label is None:
        text = request_text(item)
        vector = await ctx.services.triage.builtin_vector(text)
        label = TriageLabel(
            workspace_id=ctx.workspace.id,
            item_id=item.id,
            text=text,
            vector=[float(x) for x in vector],
            type=item.type,
            urgent=item.urgent,
            updated_at=now,
        )
        await ctx.uow.triage.add_label(label)
    else:
        label.type, label.urgent, label.updated_at = item.type, item.urgent, now
    await refresh_cards(ctx, item, _closed(item))


def _closed(item: BacklogItem) -> str | None:
    """ "po" when the PO's correction closed the stakeholder's question (its buttons go)."""
    return "po" if item.check_answer == "po" else None
