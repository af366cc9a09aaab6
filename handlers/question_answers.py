"""The stakeholder's reply to a question about their request: the triage's "why", or the PO's.

An answer joins the request and the PO's cards show it. A reply to the "why" question that is
no answer (handlers/why_replies.py) is not stored as one: the stakeholder is asked once more,
in other words, and a "skip" (or a second such reply) passes the request on as it is.
"""

from __future__ import annotations

from bot.kernel.events import MessageEvent
from bot.kernel.i18n import N_
from handlers import outbox, triage
from handlers.acknowledge import next_steps, refresh_cards
from handlers.cards import item_card
from handlers.context import Context
from handlers.intake import QUESTIONS_KEEP, triage_request
from handlers.items import add_reason, duplicate_of
from handlers.routing import Incoming, route
from handlers.triage import reason_texts as m
from handlers.triage.text import snippet
from handlers.why_replies import non_answer
from storage.models import BacklogItem, ItemStatus

ANSWER_SHOWN = 200  # characters of the answer quoted on the PO's card
ASK_AGAIN = N_(
    "No problem. In a sentence or two: what goes wrong, or takes too long, without it today, "
    "and who runs into that? Or say 'skip' and I'll pass your request on as it is."
)
PASSED_AS_IS = N_('Fine, I\'ve passed your request "{title}" on to the PO as it is.')


async def awaiting_answer(incoming: Incoming, ctx: Context) -> BacklogItem | None:
    """The stakeholder's request whose question this direct message answers, unless the message
    cannot wait: then it is a request of its own. Its triage is kept for that request."""
    if incoming.event.source != "direct":
        return None
    since = ctx.clock.now() - QUESTIONS_KEEP
    waiting = await ctx.uow.backlog.awaiting_answer(
        person_id=ctx.actor.id, since=since, workspace_id=ctx.workspace.id
    )
    if waiting is None:
        return None
    if waiting.question_asked_by_id is None and non_answer(incoming.text):
        return waiting  # "no idea", "skip": about the question, nothing to triage
    incoming.triaged = await triage_request(ctx, incoming.text)
    return None if cannot_wait(ctx, incoming.triaged) else waiting


def cannot_wait(ctx: Context, result: triage.TriageResult) -> bool:
    """What is more likely urgent than not is never taken as the answer to an open question:
    it must have its own chance to break through."""
    limits = ctx.services.triage.triager.model.thresholds
    return result.urgent or result.confidence.urgent >= (limits.urgent_ask + limits.urgent_auto) / 2


@route("question answer", awaiting_answer)
async def answer_question(event: MessageEvent, ctx: Context, item: BacklogItem) -> None:
    text = event.text.strip()
    if item.question_asked_by_id is not None:
        await answer_the_po(event, ctx, item, text)
        return
    kind = non_answer(text)
    if kind == "unsure" and not item.question_repeated:
        item.question_repeated = True
        ctx.outcome = f"why asked again for request #{item.id}"
        await outbox.answer(ctx, event, ctx.tr.t(ASK_AGAIN))
    elif kind is not None:
        await pass_on_without_why(event, ctx, item)
    else:
        await answer_why(event, ctx, item, text)


async def answer_why(event: MessageEvent, ctx: Context, item: BacklogItem, text: str) -> None:
    """The reason joins the request; the PO's cards show it instead of "gives no reason"."""
    request = item.request
    request.clarification = f"{request.clarification}\n\n{text}" if request.clarification else text
    queue(item)
    item.needs_info = False
    add_reason(item, m.STAKEHOLDER_WHY, m.ABOUT_WHY, answer=snippet(text, ANSWER_SHOWN))
    await refresh_cards(ctx, item)
    ctx.outcome = f"answer joined request #{item.id}"
    tr = ctx.tr
    reply = (
        tr.t('Thanks, that helps. I\'ve added it to your request "{title}".', title=item.title)
        + " "
        + next_steps(ctx, tr, ctx.actor)
    )
    await outbox.answer(ctx, event, reply)


async def pass_on_without_why(event: MessageEvent, ctx: Context, item: BacklogItem) -> None:
    """The request goes to the PO as it is; their card says no reason was given when asked."""
    queue(item)
    add_reason(item, m.STAKEHOLDER_NO_WHY, m.ABOUT_WHY)
    await refresh_cards(ctx, item)
    ctx.outcome = f"request #{item.id} passed on without a reason"
    tr = ctx.tr
    reply = tr.t(PASSED_AS_IS, title=item.title) + " " + next_steps(ctx, tr, ctx.actor)
    await outbox.answer(ctx, event, reply)


async def answer_the_po(event: MessageEvent, ctx: Context, item: BacklogItem, text: str) -> None:
    """The answer to the PO's own question joins the request and is relayed to the PO."""
    request = item.request
    addition = f"{item.pending_question or ''}\n{text}"
    request.clarification = (
        f"{request.clarification}\n\n{addition}" if request.clarification else addition
    )
    asked_by_id = item.question_asked_by_id
    queue(item)
    item.needs_info = False
    ctx.outcome = f"answer to the PO's question joined request #{item.id}"
    await outbox.answer(ctx, event, ctx.tr.t("Thanks, I've passed your answer on to the PO."))
    asker = await ctx.uow.people.by_id(person_id=asked_by_id) if asked_by_id else None
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


def queue(item: BacklogItem) -> None:
    """The question is closed: the item waits for the PO's decision again."""
    item.pending_question = None
    item.question_asked_by_id = None
    item.question_repeated = False
    item.status = ItemStatus.QUEUED
