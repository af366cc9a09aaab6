"""The triage queue as one compact, paged list per decider: a line per request with its quick
decisions and its whole card on demand. Paging rewrites the list in place; a new `queue` (or
the review time's batch) replaces the list the person had open, so no stale full copies are
left behind; a decision updates the line and the heading of every list showing it."""

from __future__ import annotations

from math import ceil

from bot.kernel.events import ActionEvent, ConversationRef
from bot.kernel.i18n import Translator
from bot.kernel.outbound import Button, OutboundMessage, Section
from handlers import outbox
from handlers.audit import NO_SUCH_ITEM, audit_refusal
from handlers.cards import item_card, queue_entry, queue_heading
from handlers.context import Context
from handlers.decisions import already_decided_text
from handlers.items import duplicate_of
from handlers.registry import on_action
from storage.models import UNDECIDED_STATUSES, Person

PAGE = 10
MAX_PAGE = 10_000
PAGER_KEY = "queue:pages"


async def queue_list(
    ctx: Context, person: Person, page: int = 1
) -> tuple[OutboundMessage, list[int]] | None:
    """One page of the queue as the person reads it, and the ids it shows; None when empty."""
    items = await ctx.uow.backlog.queue(workspace_id=ctx.workspace.id)
    if not items:
        return None
    tr = ctx.translator_for(person)
    pages = ceil(len(items) / PAGE)
    page = min(max(page, 1), pages)
    shown = items[(page - 1) * PAGE : page * PAGE]
    sections = [queue_entry(tr, item, await duplicate_of(ctx, item)) for item in shown]
    if pages > 1:
        sections.append(pager(tr, page, pages))
    message = OutboundMessage(text=queue_heading(tr, len(items)), sections=tuple(sections))
    return message, [item.id for item in shown]


def pager(tr: Translator, page: int, pages: int) -> Section:
    buttons = []
    if page > 1:
        buttons.append(
            Button(label=tr.t("‹ Previous"), action_id="queue_page", value=str(page - 1))
        )
    if page < pages:
        buttons.append(Button(label=tr.t("Next ›"), action_id="queue_page", value=str(page + 1)))
    return Section(
        key=PAGER_KEY,
        text=tr.t("Page {page} of {pages}", page=page, pages=pages),
        buttons=tuple(buttons),
    )


async def post_queue(ctx: Context, person: Person, conversation: ConversationRef) -> bool:
    """Post the first page to the person, in place of the list they had open; False when
    nothing waits."""
    found = await queue_list(ctx, person)
    if found is None:
        return False
    message, item_ids = found
    await retire_open_list(ctx, person)
    row = await outbox.send(ctx, conversation, message, recipient=person, item_ids=item_ids)
    person.queue_card_id = row.id
    return True


async def retire_open_list(ctx: Context, person: Person) -> None:
    old = (
        await ctx.uow.outbox.get(message_id=person.queue_card_id) if person.queue_card_id else None
    )
    if old is None:
        return
    tr = ctx.translator_for(person)
    replaced = OutboundMessage(text=tr.t("This list was replaced by a newer one below."))
    await outbox.rewrite_card(ctx, old, lambda _message, _reader: replaced)
    await ctx.uow.outbox.show_items(outbox_id=old.id, item_ids=())


@on_action("queue_page")
async def turn_page(event: ActionEvent, ctx: Context) -> None:
    """Another page of the list the person has open, in the same message."""
    page = int(event.value) if event.value.isdigit() and int(event.value) < MAX_PAGE else 1
    person = ctx.actor
    card = (
        await ctx.uow.outbox.get(message_id=person.queue_card_id) if person.queue_card_id else None
    )
    found = await queue_list(ctx, person, page)
    if found is None:
        await outbox.answer(ctx, event, ctx.tr.t("The triage queue is empty."))
        return
    if card is None:  # the list is gone (or was never kept): a new one
        await post_queue(ctx, person, event.conversation)
        return
    message, item_ids = found
    await outbox.rewrite_card(ctx, card, lambda _message, _reader: message)
    await ctx.uow.outbox.show_items(outbox_id=card.id, item_ids=item_ids)
    ctx.outcome = f"queue page {page} shown"


@on_action("queue_open")
async def open_card(event: ActionEvent, ctx: Context) -> None:
    """The request's whole card, with every decision, as a message of its own."""
    tr = ctx.tr
    item_id = int(event.value) if event.value.isdigit() and int(event.value) < 2**31 else -1
    item = await ctx.uow.backlog.get(workspace_id=ctx.workspace.id, item_id=item_id)
    if item is None:
        await audit_refusal(ctx, event.action_id, event.value, NO_SUCH_ITEM)
        await outbox.answer(
            ctx, event, tr.t("I can't find that request; it may have been removed.")
        )
        return
    if item.status not in UNDECIDED_STATUSES:
        await outbox.answer(ctx, event, await already_decided_text(ctx, tr, item))
        return
    headline = tr.t("#{id} from {name}:", id=item.id, name=item.request.stakeholder.name)
    card = item_card(tr, headline, item, await duplicate_of(ctx, item))
    await outbox.send(ctx, event.conversation, card, recipient=ctx.actor, item_ids=[item.id])
