"""Chat commands in English and Dutch: help, queue, backlog and status."""

from __future__ import annotations

from collections.abc import Sequence

from bot.kernel.events import MessageEvent
from bot.kernel.i18n import N_, Translator
from bot.kernel.outbound import Field, OutboundMessage, Section
from bot.kernel.review_times import next_review, parse_review_times
from handlers import outbox
from handlers.cards import status_text, type_name
from handlers.context import Context, timezone_of
from handlers.items import breaks_through, duplicate_of
from handlers.queue_list import post_queue
from handlers.routing import DECIDER_ROLES, Phrases, help_lines, route
from handlers.texts import day_text
from storage.models import UNDECIDED_STATUSES, BacklogItem, ItemStatus

QUEUE_PAGE = 15
BACKLOG_PAGE = 10
STATUS_PAGE = 10
HELP_INTRO = N_("Send me your request in a sentence or two: what you need, and why.")


@route("help", Phrases(en=("help",), nl=("hulp",)))
async def help_command(event: MessageEvent, ctx: Context, _: str) -> None:
    """What this person can do here, from the routes their role may use."""
    tr = ctx.tr
    lines = [tr.t(HELP_INTRO), *(tr.t(line) for line in help_lines(ctx.actor.role))]
    await outbox.answer(ctx, event, "\n".join(lines))


@route(
    "queue",
    Phrases(en=("queue",), nl=("wachtrij",)),
    roles=DECIDER_ROLES,
    help=(
        N_(
            "queue: the requests waiting for your decision, a line each: 'Decide' approves, "
            "defers or merges in one click, 'Open card' shows the whole request."
        ),
        N_(
            "On each request's card: approve (at the top or the bottom of the backlog), defer, "
            "decline with a reason, merge into its duplicate or ask the stakeholder a question."
        ),
    ),
)
async def queue_command(event: MessageEvent, ctx: Context, _: str) -> None:
    if not await post_queue(ctx, ctx.actor, event.conversation):
        await outbox.answer(ctx, event, ctx.tr.t("The triage queue is empty."))


def listing(heading: str, empty: str, sections: Sequence[Section]) -> OutboundMessage:
    if not sections:
        return OutboundMessage(text=empty)
    return OutboundMessage(text=heading, sections=tuple(sections))


@route(
    "backlog",
    Phrases(en=("backlog",), nl=("backlog",)),
    help=(N_("backlog: the top of the backlog."),),
)
async def backlog_command(event: MessageEvent, ctx: Context, _: str) -> None:
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


@route(
    "status",
    Phrases(
        en=("status", "status of my requests", "my requests"),
        nl=("mijn verzoeken", "status van mijn verzoeken"),
    ),
    help=(N_("status: your requests and where they stand."),),
)
async def status_command(event: MessageEvent, ctx: Context, _: str) -> None:
    tr = ctx.tr
    items = await ctx.uow.backlog.of_stakeholder(person_id=ctx.actor.id, limit=STATUS_PAGE)
    sections = [
        Section(
            title=f"#{item.id} {item.title}",
            fields=(Field(label=tr.t("Status"), value=await where_it_stands(ctx, tr, item)),),
        )
        for item in items
    ]
    message = listing(tr.t("Your requests:"), tr.t("You have no requests yet."), sections)
    await outbox.reply(ctx, event.conversation, message)


async def where_it_stands(ctx: Context, tr: Translator, item: BacklogItem) -> str:
    """A request's state as its stakeholder acts on it: the day they will hear, the question
    they have to answer, until when it is deferred, which request it joined and how that one
    stands."""
    zone = timezone_of(ctx.actor, ctx.workspace)
    if item.status == ItemStatus.NEEDS_INFO and item.pending_question:
        return tr.t("waiting for your answer: {question}", question=item.pending_question)
    if item.status in UNDECIDED_STATUSES and not breaks_through(item):
        upcoming = next_review(
            ctx.clock.now(), parse_review_times(ctx.workspace.review_times), ctx.workspace.timezone
        )
        return tr.t("waiting for the PO; you'll hear by {day}", day=day_text(tr, upcoming, zone))
    if item.status in UNDECIDED_STATUSES:
        return tr.t("with the PO now (it could not wait for the review)")
    target = await duplicate_of(ctx, item) if item.status == ItemStatus.MERGED else None
    if target is not None:
        return tr.t(
            'merged into #{id} "{title}": {state}',
            id=target.id,
            title=target.title,
            state=status_text(tr, target, zone),
        )
    return status_text(tr, item, zone)
