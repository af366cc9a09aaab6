"""A stakeholder's message becomes a triaged request; incidents break through to the PO at once."""

from __future__ import annotations

import logging

from bot.events import ConversationRef, MessageEvent
from bot.i18n import N_, Translator
from bot.messages import OutboundMessage
from handlers import outbox, triage
from handlers.cards import item_card, request_text
from handlers.context import Context, timezone_of
from handlers.people import person_for
from handlers.schedule import next_review, parse_review_times
from handlers.texts import day_text, review_rhythm
from storage.models import BacklogItem, ItemStatus, ItemType, Person, Request, Role, Source

log = logging.getLogger(__name__)

MAX_REQUEST_LENGTH = 10_000
CLARIFYING_QUESTION = N_("What problem does this solve, and for whom?")
DECIDER_ROLES = (Role.PO, Role.DELEGATE)


async def take_request(
    ctx: Context,
    *,
    stakeholder: Person,
    text: str,
    source: Source,
    conversation: ConversationRef,
    inbound_key: str,
    forwarded_by: Person | None = None,
) -> BacklogItem:
    """Store the request with its triage, and tell the PO at once when it cannot wait."""
    now = ctx.clock.now()
    candidates = await ctx.uow.backlog.candidates_for_duplicates(workspace_id=ctx.workspace.id)
    result = ctx.services.triager.triage(
        text,
        [
            triage.Candidate(id=str(item.id), text=request_text(item), vector=item.embedding)
            for item in candidates
        ],
    )
    tr_stakeholder = ctx.translator_for(stakeholder)
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
    item = await ctx.uow.backlog.add(
        request,
        BacklogItem(
            workspace_id=ctx.workspace.id,
            title=result.title[:255],
            type=result.type,
            urgent=result.urgent,
            needs_info=result.needs_info,
            status=ItemStatus.NEEDS_INFO if result.needs_info else ItemStatus.QUEUED,
            duplicate_of_id=int(result.duplicate_of) if result.duplicate_of else None,
            duplicate_score=result.duplicate_score,
            reasons=[{"msgid": r.msgid, "params": dict(r.params)} for r in result.reasons],
            embedding=list(result.vector),
            pending_question=tr_stakeholder.t(CLARIFYING_QUESTION) if result.needs_info else None,
            created_at=now,
        ),
    )
    if breaks_through(item):
        await alert_deciders(ctx, item)
    return item


def breaks_through(item: BacklogItem) -> bool:
    return item.urgent or item.type == ItemType.INCIDENT


async def duplicate_of(ctx: Context, item: BacklogItem) -> BacklogItem | None:
    if item.duplicate_of_id is None:
        return None
    return await ctx.uow.backlog.get(workspace_id=ctx.workspace.id, item_id=item.duplicate_of_id)


async def alert_deciders(ctx: Context, item: BacklogItem) -> None:
    """The incident card with decision buttons, to the PO and every delegate."""
    duplicate = await duplicate_of(ctx, item)
    deciders = await ctx.uow.people.with_roles(workspace_id=ctx.workspace.id, roles=DECIDER_ROLES)
    if not deciders:
        log.warning("Workspace %s has no PO to alert about item %s", ctx.workspace.id, item.id)
    for person in deciders:
        tr = ctx.translator_for(person)
        headline = tr.t(
            "Urgent: {name} reports something that cannot wait for the next review.",
            name=item.request.stakeholder.name,
        )
        await outbox.send_direct(
            ctx, person, item_card(tr, headline, item, duplicate), item_ids=[item.id]
        )


async def acknowledge(ctx: Context, item: BacklogItem, conversation: ConversationRef) -> None:
    """Tell the stakeholder what happens next."""
    stakeholder = item.request.stakeholder
    tr = ctx.translator_for(stakeholder)
    name = stakeholder.name
    if breaks_through(item):
        text = tr.t(
            "Thanks, {name}. This looks urgent, so I've passed it to the PO right away. "
            "You'll hear from me as soon as they decide.",
            name=name,
        )
    elif item.status == ItemStatus.NEEDS_INFO:
        text = tr.t(
            "Thanks, {name}. One question so the PO can weigh your request: {question}",
            name=name,
            question=item.pending_question,
        )
    else:
        text = expectation(ctx, tr, stakeholder, name)
        duplicate = await duplicate_of(ctx, item)
        if duplicate is not None:
            text += " " + tr.t(
                'It looks like a request we already have, #{id} "{title}", '
                "so I've linked the two for the PO.",
                id=duplicate.id,
                title=duplicate.title,
            )
    await outbox.send(ctx, conversation, OutboundMessage(text=text), recipient=stakeholder)


def expectation(ctx: Context, tr: Translator, person: Person, name: str) -> str:
    review_times = ctx.workspace.review_times
    upcoming = next_review(
        ctx.clock.now(), parse_review_times(review_times), ctx.workspace.timezone
    )
    return tr.t(
        "Thanks, {name}! Your request is in the PO's triage queue. "
        "The PO looks at new requests on {rhythm}; you'll hear by {day}.",
        name=name,
        rhythm=review_rhythm(tr, review_times),
        day=day_text(tr, upcoming, timezone_of(person, ctx.workspace)),
    )


async def new_request(event: MessageEvent, ctx: Context, text: str) -> None:
    source = Source.DIRECT if event.source == "direct" else Source.CHANNEL
    item = await take_request(
        ctx,
        stakeholder=ctx.actor,
        text=text,
        source=source,
        conversation=event.conversation,
        inbound_key=event.idempotency_key,
    )
    await acknowledge(ctx, item, event.conversation)


async def forwarded_request(event: MessageEvent, ctx: Context) -> None:
    """A message a team member got directly: the author stays the stakeholder, via the back door."""
    forward = event.forward_of
    assert forward is not None
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
    await outbox.send(
        ctx,
        author_conversation,
        OutboundMessage(
            text=tr_author.t(
                '{forwarder} passed your message on to the PO: "{title}". '
                "I'll let you know what the PO decides.",
                forwarder=ctx.actor.name,
                title=item.title,
            )
        ),
        recipient=author,
    )


async def answer_question(event: MessageEvent, ctx: Context, item: BacklogItem, text: str) -> None:
    """The stakeholder's answer joins the request; a PO's question gets its answer relayed."""
    request = item.request
    question = item.pending_question or ""
    addition = f"{question}\n{text}" if item.question_asked_by_id else text
    request.clarification = (
        f"{request.clarification}\n\n{addition}" if request.clarification else addition
    )
    asked_by_id = item.question_asked_by_id
    item.pending_question = None
    item.question_asked_by_id = None
    item.needs_info = False
    item.status = ItemStatus.QUEUED
    tr = ctx.tr
    if asked_by_id is None:
        reply = (
            tr.t('Thanks, that helps. I\'ve added it to your request "{title}".', title=item.title)
            + " "
            + expectation(ctx, tr, ctx.actor, ctx.actor.name)
        )
        await outbox.answer(ctx, event, reply)
        return
    await outbox.answer(ctx, event, tr.t("Thanks, I've passed your answer on to the PO."))
    asker = await ctx.uow.people.by_id(person_id=asked_by_id)
    if asker is not None:
        tr_asker = ctx.translator_for(asker)
        headline = tr_asker.t(
            '{name} answered your question about #{id}: "{answer}"',
            name=ctx.actor.name,
            id=item.id,
            answer=text,
        )
        card = item_card(tr_asker, headline, item, await duplicate_of(ctx, item))
        await outbox.send_direct(ctx, asker, card, item_ids=[item.id])
