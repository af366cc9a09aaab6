"""The PO's decisions, one click each; the stakeholder always hears the outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.kernel.errors import HeatshieldError
from bot.kernel.events import ActionEvent, ConversationRef
from bot.kernel.i18n import N_, Translator
from bot.kernel.outbound import OutboundMessage
from bot.kernel.review_times import next_review, parse_review_times
from handlers import outbox
from handlers.audit import NO_SUCH_ITEM, audit_refusal
from handlers.cards import status_name, with_outcome, with_queue_heading
from handlers.context import Context, timezone_of
from handlers.items import duplicate_of
from handlers.registry import on_action
from handlers.texts import day_text, moment_text
from handlers.tracker_queue import ask_to_create
from storage.models import (
    UNDECIDED_STATUSES,
    BacklogItem,
    Decision,
    ItemStatus,
    ItemType,
    Person,
)

log = logging.getLogger(__name__)
MAX_REASON_LENGTH = 2_000
MAX_ID = 2**31


class DecisionInputError(HeatshieldError):
    """A decision that cannot be made as asked; carries the text for the decider."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


async def load_undecided(event: ActionEvent, ctx: Context) -> BacklogItem | None:
    """The item the button is for, or None after telling the decider why not."""
    tr = ctx.tr
    try:
        item_id = int(event.value)
    except ValueError:
        item_id = -1
    if not 0 < item_id < MAX_ID:
        item_id = -1  # out of the database's range: no such item
    item = await ctx.uow.backlog.get_for_update(workspace_id=ctx.workspace.id, item_id=item_id)
    if item is None:
        # Unknown here: removed, mistyped, or another workspace's; who tried is written down.
        await audit_refusal(ctx, event.action_id, event.value, NO_SUCH_ITEM)
        await outbox.answer(
            ctx, event, tr.t("I can't find that request; it may have been removed.")
        )
        return None
    if item.status not in UNDECIDED_STATUSES:
        await outbox.answer(ctx, event, await already_decided_text(ctx, tr, item))
        return None
    return item


async def already_decided_text(ctx: Context, tr: Translator, item: BacklogItem) -> str:
    latest = await ctx.uow.decisions.latest(item_id=item.id)
    who = latest.actor.name if latest else "?"
    return tr.t(
        "#{id} has already been decided ({status}, by {who}); nobody was notified again.",
        id=item.id,
        status=status_name(tr, item.status),
        who=who,
    )


async def record(
    ctx: Context,
    item: BacklogItem,
    action: str,
    *,
    reason: str | None = None,
    **detail: str,
) -> None:
    now = ctx.clock.now()
    item.decided_at = now
    await ctx.uow.decisions.add(
        Decision(
            item_id=item.id,
            actor_id=ctx.actor.id,
            action=action,
            reason=reason,
            detail=dict(detail),
            decided_at=now,
        )
    )


async def close_cards(ctx: Context, item: BacklogItem, outcome_msgid: str, **params: str) -> None:
    """Every card showing the item now shows it as it is and the outcome (who, what, when, in
    the reader's language and time zone), without the decision buttons."""
    duplicate = await duplicate_of(ctx, item)
    now = ctx.clock.now()
    waiting = len(await ctx.uow.backlog.queue(workspace_id=ctx.workspace.id))

    def rewrite(message: OutboundMessage, reader: Person | None) -> OutboundMessage:
        tr = ctx.translator_for(reader) if reader else ctx.tr
        zone = timezone_of(reader, ctx.workspace) if reader else ctx.workspace.timezone
        outcome = tr.t(outcome_msgid, who=ctx.actor.name, **params)
        outcome = f"{outcome} ({moment_text(tr, now, zone)})"
        decided = with_outcome(message, tr, item, duplicate, outcome, zone)
        return with_queue_heading(decided, tr, waiting)

    await outbox.update_cards(ctx, item, rewrite)


Compose = Callable[[Translator, BacklogItem, Person], str]


async def tell_stakeholders(
    ctx: Context, item: BacklogItem, compose: Compose, *, answerable: bool = False
) -> None:
    """The item's stakeholder, and those of every request merged into it (also via another
    merged request), each in their own words. ``answerable``: each message is kept as about
    its request, so a reply in its thread is an answer on the request (a tracker's note)."""
    for subject in (item, *await merged_chain(ctx, item)):
        stakeholder = subject.request.stakeholder
        text = compose(ctx.translator_for(stakeholder), subject, stakeholder)
        conversation = ConversationRef.model_validate(subject.request.conversation)
        await outbox.send(
            ctx, conversation, OutboundMessage(text=text), recipient=stakeholder,
            item_ids=[subject.id] if answerable else (),
        )  # fmt: skip


async def merged_chain(ctx: Context, item: BacklogItem) -> list[BacklogItem]:
    found: list[BacklogItem] = []
    todo, seen = [item.id], {item.id}
    while todo:
        for merged in await ctx.uow.backlog.merged_into(item_id=todo.pop()):
            if merged.id not in seen:
                seen.add(merged.id)
                found.append(merged)
                todo.append(merged.id)
    return found


async def final_target(ctx: Context, item: BacklogItem) -> BacklogItem | None:
    """The duplicate to merge into, followed past requests that were merged themselves."""
    target = await duplicate_of(ctx, item)
    seen = {item.id}
    while target is not None and target.status == ItemStatus.MERGED and target.id not in seen:
        seen.add(target.id)
        target = await duplicate_of(ctx, target)
    return None if target is None or target.id in seen else target


@on_action("approve_top", "approve_bottom")
async def approve(event: ActionEvent, ctx: Context) -> None:
    item = await load_undecided(event, ctx)
    if item is None:
        return
    top = event.action_id == "approve_top"
    lowest, highest = await ctx.uow.backlog.rank_bounds(workspace_id=ctx.workspace.id)
    if top:
        item.rank = (lowest if lowest is not None else 0.0) - 1.0
    else:
        item.rank = (highest if highest is not None else 0.0) + 1.0
    item.status = ItemStatus.APPROVED
    await record(ctx, item, "approve", position="top" if top else "bottom")
    await ask_to_create(ctx, item, top=top)
    if top:
        await close_cards(ctx, item, N_("Approved by {who}, at the top of the backlog."))
    else:
        await close_cards(ctx, item, N_("Approved by {who}, at the bottom of the backlog."))

    def compose(tr: Translator, subject: BacklogItem, _: Person) -> str:
        if item.type == ItemType.INCIDENT:
            return tr.t(
                'The PO has taken up your report "{title}": someone is on it. '
                "I'll tell you when it is resolved.",
                title=subject.title,
            )
        place = tr.t("at the top") if top else tr.t("at the bottom")
        return tr.t(
            'Good news: the PO has put your request "{title}" on the backlog ({place}).',
            title=subject.title,
            place=place,
        )

    await tell_stakeholders(ctx, item, compose)
    await outbox.answer(
        ctx, event, ctx.tr.t("Approved #{id}; the stakeholder has been told.", id=item.id)
    )


def parse_until(text: str | None, timezone: str, now: datetime) -> datetime:
    """A date the PO typed, as the start of that day in the workspace's time zone."""
    if not text or not text.strip():
        raise DecisionInputError(N_("Please give the date until which to defer, like 2026-12-01."))
    try:
        day = date.fromisoformat(text.strip()[:10])
    except ValueError as exc:
        raise DecisionInputError(
            N_("That is not a date I understand; use the form 2026-12-01.")
        ) from exc
    moment = datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(timezone))
    if moment <= now:
        raise DecisionInputError(N_("That date has passed; pick a day in the future."))
    if moment > now + timedelta(days=3 * 365):
        raise DecisionInputError(N_("That date is too far ahead; pick one within three years."))
    return moment


@on_action("defer_review", "defer_until")
async def defer(event: ActionEvent, ctx: Context) -> None:
    item = await load_undecided(event, ctx)
    if item is None:
        return
    now = ctx.clock.now()
    if event.action_id == "defer_until":
        try:
            until = parse_until(event.input, ctx.workspace.timezone, now)
        except DecisionInputError as refused:
            await outbox.answer(ctx, event, ctx.tr.t(refused.text))
            return
    else:
        until = next_review(
            now, parse_review_times(ctx.workspace.review_times), ctx.workspace.timezone
        )
    item.status = ItemStatus.DEFERRED
    item.deferred_until = until
    await record(ctx, item, "defer", until=until.isoformat())
    await close_cards(
        ctx,
        item,
        N_("Deferred by {who} until {day}."),
        day=day_text(ctx.tr, until, ctx.workspace.timezone),
    )

    def compose(tr: Translator, subject: BacklogItem, stakeholder: Person) -> str:
        return tr.t(
            'The PO has deferred your request "{title}" until {day}; it will come back then.',
            title=subject.title,
            day=day_text(tr, until, timezone_of(stakeholder, ctx.workspace)),
        )

    await tell_stakeholders(ctx, item, compose)
    await outbox.answer(
        ctx, event, ctx.tr.t("Deferred #{id}; the stakeholder has been told.", id=item.id)
    )


@on_action("decline")
async def decline(event: ActionEvent, ctx: Context) -> None:
    reason = (event.input or "").strip()
    if not reason:
        await outbox.answer(
            ctx, event, ctx.tr.t("Please give a reason; the stakeholder will read it.")
        )
        return
    if len(reason) > MAX_REASON_LENGTH:
        await outbox.answer(
            ctx,
            event,
            ctx.tr.t(
                "Please keep the reason under {limit} characters.",
                limit=ctx.tr.number(MAX_REASON_LENGTH),
            ),
        )
        return
    item = await load_undecided(event, ctx)
    if item is None:
        return
    item.status = ItemStatus.DECLINED
    await record(ctx, item, "decline", reason=reason)
    await close_cards(ctx, item, N_("Declined by {who}: {reason}"), reason=reason)

    def compose(tr: Translator, subject: BacklogItem, _: Person) -> str:
        return tr.t(
            'Thank you for your request "{title}". The PO has decided not to take it on for now. '
            "Their reason: {reason}",
            title=subject.title,
            reason=reason,
        )

    await tell_stakeholders(ctx, item, compose)
    await outbox.answer(
        ctx, event, ctx.tr.t("Declined #{id}; the stakeholder has been told.", id=item.id)
    )


@on_action("merge")
async def merge(event: ActionEvent, ctx: Context) -> None:
    item = await load_undecided(event, ctx)
    if item is None:
        return
    target = await final_target(ctx, item)
    if target is None:
        await outbox.answer(
            ctx, event, ctx.tr.t("#{id} has no duplicate to merge into.", id=item.id)
        )
        return
    item.status = ItemStatus.MERGED
    item.duplicate_of_id = target.id
    await record(ctx, item, "merge", merged_into=str(target.id))
    await close_cards(ctx, item, N_("Merged by {who} into #{target}."), target=str(target.id))
    stakeholder = item.request.stakeholder
    tr = ctx.translator_for(stakeholder)
    if target.status in UNDECIDED_STATUSES:
        text = tr.t(
            'Your request "{title}" asks for the same as an existing one, "{target}", so the PO '
            "has combined them. You'll hear from me when that one is decided.",
            title=item.title,
            target=target.title,
        )
    else:
        # The loop closes now: that one was decided already.
        text = tr.t(
            'Your request "{title}" asks for the same as an existing one, "{target}", which the '
            "PO has already decided: {status}.",
            title=item.title,
            target=target.title,
            status=status_name(tr, target.status),
        )
    conversation = ConversationRef.model_validate(item.request.conversation)
    await outbox.send(ctx, conversation, OutboundMessage(text=text), recipient=stakeholder)
    await outbox.answer(
        ctx, event, ctx.tr.t("Merged #{id} into #{target}.", id=item.id, target=target.id)
    )


@on_action("resolve")
async def resolve(event: ActionEvent, ctx: Context) -> None:
    """An incident the PO took up is resolved: its stakeholders hear it, once."""
    item = await load_resolvable(event, ctx)
    if item is None:
        return
    item.status = ItemStatus.DONE
    await record(ctx, item, "resolve")
    await close_cards(ctx, item, N_("Resolved, marked by {who}."))

    def compose(tr: Translator, subject: BacklogItem, _: Person) -> str:
        return tr.t(
            'Your report "{title}" has been resolved. Thanks for raising it.', title=subject.title
        )

    await tell_stakeholders(ctx, item, compose)
    await outbox.answer(
        ctx, event, ctx.tr.t("Marked #{id} resolved; the stakeholder has been told.", id=item.id)
    )


async def load_resolvable(event: ActionEvent, ctx: Context) -> BacklogItem | None:
    """The approved incident the Resolve button is for, or None after saying why not."""
    item_id = int(event.value) if event.value.isdigit() and int(event.value) < MAX_ID else -1
    item = await ctx.uow.backlog.get_for_update(workspace_id=ctx.workspace.id, item_id=item_id)
    if item is None:
        await audit_refusal(ctx, event.action_id, event.value, NO_SUCH_ITEM)
        await outbox.answer(
            ctx, event, ctx.tr.t("I can't find that request; it may have been removed.")
        )
        return None
    if item.status == ItemStatus.DONE:
        await outbox.answer(
            ctx,
            event,
            ctx.tr.t("#{id} is marked resolved already; nobody was told again.", id=item.id),
        )
        return None
    if item.status != ItemStatus.APPROVED or item.type != ItemType.INCIDENT:
        await outbox.answer(
            ctx, event, ctx.tr.t("Only an incident that was taken up can be marked resolved.")
        )
        return None
    return item


@on_action("ask")
async def ask(event: ActionEvent, ctx: Context) -> None:
    question = (event.input or "").strip()
    if not question:
        await outbox.answer(ctx, event, ctx.tr.t("Please type the question for the stakeholder."))
        return
    item = await load_undecided(event, ctx)
    if item is None:
        return
    item.status = ItemStatus.NEEDS_INFO
    item.pending_question = question[:MAX_REASON_LENGTH]
    item.question_asked_by_id = ctx.actor.id
    await record(ctx, item, "ask", reason=item.pending_question)
    stakeholder = item.request.stakeholder
    tr = ctx.translator_for(stakeholder)
    text = tr.t(
        'The PO has a question about your request "{title}": {question}\nJust reply here.',
        title=item.title,
        question=item.pending_question,
    )
    await outbox.send_direct(ctx, stakeholder, OutboundMessage(text=text))
    await close_cards(ctx, item, N_("{who} asked: {question}"), question=item.pending_question)
    await outbox.answer(
        ctx, event, ctx.tr.t("I've asked the stakeholder; their answer will come to you.")
    )
