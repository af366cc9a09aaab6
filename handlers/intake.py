"""A stakeholder's message becomes a triaged request; incidents break through to the PO at once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.kernel.events import ConversationRef, ForwardedMessage, MessageEvent
from bot.kernel.i18n import N_
from bot.kernel.outbound import OutboundMessage
from handlers import outbox, triage
from handlers.acknowledge import ack_section, acknowledge
from handlers.cards import item_card
from handlers.commands import HELP_INTRO
from handlers.context import Context
from handlers.items import already_alerted, breaks_through, duplicate_of, reason_json
from handlers.people import person_for
from handlers.routing import DECIDER_ROLES, Incoming, route
from handlers.triage import budget
from handlers.triage.embedding import to_bytes
from handlers.triage.text import words
from storage.models import BacklogItem, ItemStatus, Person, Request, Role, Source, TrackerJob

log = logging.getLogger(__name__)

MAX_REQUEST_LENGTH = 10_000
CLARIFYING_QUESTION = N_("What problem does this solve, and for whom?")
URGENT_HEADLINE = N_("Urgent: {name} reports something that cannot wait for the next review.")
# A question to a stakeholder stays open this long; a later message is a new request.
QUESTIONS_KEEP = timedelta(days=14)


async def take_request(
    ctx: Context,
    *,
    stakeholder: Person,
    text: str,
    source: Source,
    conversation: ConversationRef,
    inbound_key: str,
    forwarded_by: Person | None = None,
    triaged: triage.TriageResult | None = None,
) -> BacklogItem:
    """Store the request with its triage (the one given, when the message was triaged already),
    and tell the PO at once when it cannot wait."""
    now = ctx.clock.now()
    # A forwarded message's author did not write to the bot: nobody to ask.
    result = triaged or await triage_request(ctx, text, may_ask=forwarded_by is None)
    request = Request(
        workspace_id=ctx.workspace.id,
        stakeholder_id=stakeholder.id,
        forwarded_by_id=forwarded_by.id if forwarded_by else None,
        text=text,
        source=source,
        conversation=conversation.model_dump(mode="json"),
        inbound_key=inbound_key,
        received_at=now,
    )
    request.stakeholder = stakeholder
    request.forwarded_by = forwarded_by
    # One question per request: while the stakeholder is asked about urgency or a
    # duplicate, the "why" is left for the PO to ask.
    ask_why = result.needs_info and result.check is None
    question = ctx.translator_for(stakeholder).t(CLARIFYING_QUESTION) if ask_why else None
    item = await ctx.uow.backlog.add(
        request,
        BacklogItem(
            workspace_id=ctx.workspace.id,
            title=result.title[:255],
            type=result.type,
            urgent=result.urgent,
            needs_info=result.needs_info,
            status=ItemStatus.NEEDS_INFO if ask_why else ItemStatus.QUEUED,
            duplicate_of_id=int(result.duplicate_of) if result.duplicate_of else None,
            duplicate_score=result.duplicate_score,
            reasons=[reason_json(r) for r in result.reasons],
            embedding=to_bytes(result.vector),
            embedding_model=result.vector_model,
            words=len(words(text)),
            check_kind=result.check.kind if result.check else None,
            check_of_id=int(result.check.of) if result.check and result.check.of else None,
            pending_question=question,
            created_at=now,
        ),
    )
    if await ctx.uow.trackers.of_workspace(workspace_id=ctx.workspace.id) is not None:
        # Is it in the team's tracker already? The tracker worker looks (its search).
        await ctx.uow.trackers.add_job(
            TrackerJob(item_id=item.id, action="search", top=False, status="pending",
                       attempts=0, next_attempt_at=now, created_at=now)
        )  # fmt: skip
    if breaks_through(item) and not await already_alerted(ctx, item):
        await alert_deciders(ctx, item)
    ctx.outcome = filed(item)
    return item


def filed(item: BacklogItem) -> str:
    """The request as the log's line tells it: "request #12 filed: bug, urgent, asked why"."""
    facts = [item.type]
    if item.urgent:
        facts.append("urgent")
    if item.duplicate_of_id is not None:
        facts.append(f"duplicate of #{item.duplicate_of_id}")
    if item.check_kind:
        facts.append(f"asked about {item.check_kind}")
    elif item.status == ItemStatus.NEEDS_INFO:
        facts.append("asked why")
    facts.append("broke through" if breaks_through(item) else "held for review")
    return f"request #{item.id} filed: " + ", ".join(facts)


async def triage_request(ctx: Context, text: str, *, may_ask: bool = True) -> triage.TriageResult:
    """The triage against the workspace's open items (its duplicate index) and its own
    labels, asking only while the workspace's question budget allows."""
    workspace_id = ctx.workspace.id
    service = ctx.services.triage
    [own] = await service.vectors([text])
    candidates, model = ctx.services.candidates, own.similarity_model
    pool = await candidates.pool(ctx.uow, workspace_id=workspace_id, model=model)
    recent = candidates.recent(ctx.uow, workspace_id=workspace_id, model=model)
    labels = await ctx.uow.triage.labels(workspace_id=workspace_id)
    checks = await ctx.uow.backlog.recent_checks(workspace_id=workspace_id, limit=budget.WINDOW - 1)
    return await service.triage(
        text,
        pool,
        labels=[triage.Label(lb.text, lb.vector, lb.type, lb.urgent) for lb in labels],
        room=budget.room(checks) if may_ask else 0,
        vectors=own,
        recent=recent,
    )


async def alert_deciders(
    ctx: Context, item: BacklogItem, headline_msgid: str = URGENT_HEADLINE
) -> None:
    """The item's card with decision buttons, to the PO and every delegate, at once."""
    duplicate = await duplicate_of(ctx, item)
    deciders = await ctx.uow.people.with_roles(workspace_id=ctx.workspace.id, roles=DECIDER_ROLES)
    if not deciders:
        log.warning("Workspace %s has no PO to alert about item %s", ctx.workspace.id, item.id)
    for person in deciders:
        tr = ctx.translator_for(person)
        headline = tr.t(headline_msgid, name=item.request.stakeholder.name)
        await outbox.send_direct(
            ctx, person, item_card(tr, headline, item, duplicate), item_ids=[item.id]
        )


# The routes of a message that is no command, in the order of handlers/routing.ORDER.


async def forwarded(incoming: Incoming, ctx: Context) -> ForwardedMessage | None:
    return incoming.event.forward_of


@route(
    "forward",
    forwarded,
    help=(
        N_(
            "A request that reached you directly: use 'Send to Product Owner' on the message; "
            "its author stays the stakeholder and hears the outcome from me."
        ),
    ),
    shown_to=(Role.MEMBER, *DECIDER_ROLES),
)
async def forwarded_request(event: MessageEvent, ctx: Context, forward: ForwardedMessage) -> None:
    """A message a team member got directly: the author stays the stakeholder, via the back door."""
    text = forward.text.strip()
    tr = ctx.tr
    if not text:
        await outbox.answer(ctx, event, tr.t("That message has no text to pass on."))
        return
    author = await person_for(ctx.uow, ctx.workspace, forward.author, ctx.clock.now())
    author_conversation = outbox.direct_conversation(author)
    item = await take_request(
        ctx,
        stakeholder=author,
        text=text[:MAX_REQUEST_LENGTH],
        source=Source.BACK_DOOR,
        conversation=author_conversation,
        inbound_key=event.idempotency_key,
        forwarded_by=ctx.actor,
    )
    await outbox.answer(
        ctx,
        event,
        tr.t(
            "Thanks, {name}. I've passed {author}'s request to the PO "
            "(marked as reaching you directly); {author} will hear the outcome from me.",
            name=ctx.actor.name,
            author=author.name,
        ),
    )
    tr_author = ctx.translator_for(author)
    text = tr_author.t(
        '{forwarder} passed your message on to the PO: "{title}". '
        "I'll let you know what the PO decides.",
        forwarder=ctx.actor.name,
        title=item.title,
    )
    await outbox.send(
        ctx,
        author_conversation,
        OutboundMessage(text=text, sections=ack_section(tr_author, item)),
        recipient=author,
        item_ids=[item.id],
    )


async def empty(incoming: Incoming, ctx: Context) -> str | None:
    return None if incoming.text else ""


@route("empty", empty)
async def ask_for_a_request(event: MessageEvent, ctx: Context, _: str) -> None:
    await outbox.answer(ctx, event, ctx.tr.t(HELP_INTRO))


async def too_long(incoming: Incoming, ctx: Context) -> int | None:
    length = len(incoming.text)
    return length if length > MAX_REQUEST_LENGTH else None


@route("too long", too_long)
async def refuse_too_long(event: MessageEvent, ctx: Context, length: int) -> None:
    text = ctx.tr.t(
        "That message is too long for one request ({length} characters; "
        "at most {limit}). Could you put it in fewer words?",
        length=length,
        limit=MAX_REQUEST_LENGTH,
    )
    await outbox.answer(ctx, event, text)


@dataclass(frozen=True)
class NewRequest:
    """What the "new request" route takes: the message's text, and its triage when an earlier
    route already needed it."""

    text: str
    triaged: triage.TriageResult | None


async def any_message(incoming: Incoming, ctx: Context) -> NewRequest:
    return NewRequest(incoming.text, incoming.triaged)


@route("new request", any_message)
async def new_request(event: MessageEvent, ctx: Context, request: NewRequest) -> None:
    source = Source.DIRECT if event.source == "direct" else Source.CHANNEL
    item = await take_request(
        ctx,
        stakeholder=ctx.actor,
        text=request.text,
        source=source,
        conversation=event.conversation,
        inbound_key=event.idempotency_key,
        triaged=request.triaged,
    )
    await acknowledge(ctx, item, event.conversation)
