"""Chat commands in English and Dutch: help, queue, backlog and status."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence

from bot.kernel.events import MessageEvent
from bot.kernel.outbound import Field, OutboundMessage, Section
from handlers import outbox
from handlers.cards import item_section, shown_item_ids, status_name, type_name
from handlers.context import Context
from handlers.intake import DECIDER_ROLES
from handlers.items import duplicate_of
from storage.models import Person

Command = Callable[[MessageEvent, Context], Awaitable[None]]

QUEUE_PAGE = 15
BACKLOG_PAGE = 10
STATUS_PAGE = 10


def normalise(text: str) -> str:
    return re.sub(r"[^\w ]+", "", text.lower()).strip()


async def help_command(event: MessageEvent, ctx: Context) -> None:
    tr = ctx.tr
    lines = [
        tr.t("Send me your request in a sentence or two: what you need, and why."),
        tr.t("status: your requests and where they stand."),
        tr.t("backlog: the top of the backlog."),
    ]
    if ctx.actor.role in DECIDER_ROLES:
        lines.append(tr.t("queue: the requests waiting for your decision."))
    await outbox.answer(ctx, event, "\n".join(lines))


async def queue_batch(ctx: Context, person: Person) -> OutboundMessage | None:
    """The triage queue as one message with a section per item, or None when it is empty."""
    items = await ctx.uow.backlog.queue(workspace_id=ctx.workspace.id)
    if not items:
        return None
    tr = ctx.translator_for(person)
    shown = items[:QUEUE_PAGE]
    text = tr.t("Triage queue: {count} requests waiting for a decision.", count=len(items))
    if len(items) > len(shown):
        text += " " + tr.t(
            "Showing the first {shown}; say 'queue' again for the rest.", shown=len(shown)
        )
    sections = [item_section(tr, item, await duplicate_of(ctx, item)) for item in shown]
    return OutboundMessage(text=text, sections=tuple(sections))


async def queue_command(event: MessageEvent, ctx: Context) -> None:
    tr = ctx.tr
    if ctx.actor.role not in DECIDER_ROLES:
        await outbox.answer(ctx, event, tr.t("The triage queue is for the PO and their delegates."))
        return
    batch = await queue_batch(ctx, ctx.actor)
    if batch is None:
        await outbox.answer(ctx, event, tr.t("The triage queue is empty."))
        return
    await outbox.send(
        ctx, event.conversation, batch, recipient=ctx.actor, item_ids=shown_item_ids(batch)
    )


def listing(heading: str, empty: str, sections: Sequence[Section]) -> OutboundMessage:
    if not sections:
        return OutboundMessage(text=empty)
    return OutboundMessage(text=heading, sections=tuple(sections))


async def backlog_command(event: MessageEvent, ctx: Context) -> None:
    tr = ctx.tr
    items = await ctx.uow.backlog.backlog(workspace_id=ctx.workspace.id, limit=BACKLOG_PAGE)
    sections = [
        Section(
            title=f"{position}. #{item.id} {item.title}",
            fields=(Field(label=tr.t("Type"), value=type_name(tr, item)),),
        )
        for position, item in enumerate(items, start=1)
    ]
    message = listing(tr.t("Top of the backlog:"), tr.t("The backlog is empty."), sections)
    await outbox.reply(ctx, event.conversation, message)


async def status_command(event: MessageEvent, ctx: Context) -> None:
    tr = ctx.tr
    items = await ctx.uow.backlog.of_stakeholder(person_id=ctx.actor.id, limit=STATUS_PAGE)
    sections = [
        Section(
            title=f"#{item.id} {item.title}",
            fields=(Field(label=tr.t("Status"), value=status_name(tr, item.status)),),
        )
        for item in items
    ]
    message = listing(tr.t("Your requests:"), tr.t("You have no requests yet."), sections)
    await outbox.reply(ctx, event.conversation, message)


COMMANDS: dict[str, Command] = {
    "help": help_command,
    "hulp": help_command,
    "queue": queue_command,
    "wachtrij": queue_command,
    "backlog": backlog_command,
    "status": status_command,
    "status of my requests": status_command,
    "my requests": status_command,
    "mijn verzoeken": status_command,
    "status van mijn verzoeken": status_command,
}


def find_command(text: str) -> Command | None:
    """A message is a command only when it is one of the command phrases, nothing more."""
    return COMMANDS.get(normalise(text))
