"""What the stakeholder hears right after a request: what happens next, and at most one question.

The acknowledgement carries buttons: the triage's one question when it is unsure (is it blocking
people now? is it the same as #12?), and otherwise "It's urgent", so that a request the triage
misjudged can still break through. Once answered, the buttons give way to the answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.kernel.events import ConversationRef
from bot.kernel.i18n import N_, Translator
from bot.kernel.outbound import Button, OutboundMessage, Section
from bot.kernel.review_times import next_review, parse_review_times
from handlers import outbox
from handlers.cards import with_item
from handlers.context import Context, timezone_of
from handlers.items import already_alerted, breaks_through, duplicate_of
from handlers.texts import day_text, review_rhythm
from storage.models import UNDECIDED_STATUSES, BacklogItem, ItemStatus, Person

ASK_URGENCY = N_(
    "Thanks, {name}. One quick question before this waits for the PO's next review: "
    "is it blocking people right now?"
)
ASK_DUPLICATE = N_(
    'Thanks, {name}. Is this the same as #{id} "{title}"? Then I\'ll link the two for the PO.'
)
# What the acknowledgement shows once the stakeholder answered or the PO decided.
ANSWERED = {
    "yes": N_("You said it is blocking people now; the PO has it."),
    "no": N_("You said it can wait."),
    "same": N_("You said it is the same as #{id}."),
    "other": N_("You said it is not the same as #{id}."),
    "escalated": N_("You marked it urgent; the PO has it."),
    "po": N_("The PO has looked at it already."),
}


def ack_key(item: BacklogItem) -> str:
    return f"ack:{item.id}"


async def acknowledge(ctx: Context, item: BacklogItem, conversation: ConversationRef) -> None:
    """Tell the stakeholder what happens next, with the question or the "It's urgent" button."""
    stakeholder = item.request.stakeholder
    tr = ctx.translator_for(stakeholder)
    text = await _acknowledgement(ctx, tr, item, stakeholder)
    sections = ack_section(tr, item) if not breaks_through(item) else ()
    await outbox.send(
        ctx,
        conversation,
        OutboundMessage(text=text, sections=sections),
        recipient=stakeholder,
        item_ids=[item.id],
    )


async def _acknowledgement(
    ctx: Context, tr: Translator, item: BacklogItem, stakeholder: Person
) -> str:
    name = stakeholder.name
    duplicate = await duplicate_of(ctx, item)
    if breaks_through(item) and await already_alerted(ctx, item) and duplicate is not None:
        return tr.t(
            'Thanks, {name}. This looks like #{id} "{title}", which the PO already has as '
            "urgent; I've linked yours to it, and you'll hear from me when they decide.",
            name=name,
            id=duplicate.id,
            title=duplicate.title,
        )
    if breaks_through(item):
        return tr.t(
            "Thanks, {name}. This looks urgent, so I've passed it to the PO right away. "
            "You'll hear from me as soon as they decide.",
            name=name,
        )
    if item.check_kind == "urgency":
        return tr.t(ASK_URGENCY, name=name)
    if item.check_kind == "duplicate" and item.check_of_id is not None:
        other = await ctx.uow.backlog.get(workspace_id=ctx.workspace.id, item_id=item.check_of_id)
        if other is not None:
            return tr.t(ASK_DUPLICATE, name=name, id=other.id, title=other.title)
    if item.status == ItemStatus.NEEDS_INFO:
        return tr.t(
            "Thanks, {name}. One question so the PO can weigh your request: {question}",
            name=name,
            question=item.pending_question,
        )
    text = expectation(ctx, tr, stakeholder, name)
    if duplicate is not None:
        text += " " + tr.t(
            'It looks like a request we already have, #{id} "{title}", '
            "so I've linked the two for the PO.",
            id=duplicate.id,
            title=duplicate.title,
        )
    return text


def ack_section(tr: Translator, item: BacklogItem) -> tuple[Section, ...]:
    """The acknowledgement's buttons: the open question's answers, else "It's urgent"."""
    if item.status not in UNDECIDED_STATUSES:
        return ()
    value = str(item.id)
    buttons: tuple[Button, ...]
    if item.check_answer is None and item.check_kind == "urgency":
        buttons = (
            Button(
                label=tr.t("Yes, it is blocking people now"),
                action_id="urgency_yes",
                value=value,
                style="danger",
            ),
            Button(label=tr.t("No, it can wait"), action_id="urgency_no", value=value),
        )
    elif item.check_answer is None and item.check_kind == "duplicate":
        buttons = (
            Button(label=tr.t("Same"), action_id="duplicate_same", value=value, style="primary"),
            Button(label=tr.t("Something else"), action_id="duplicate_other", value=value),
        )
    elif item.urgent or item.urgent_by == "po" or item.escalated_at is not None:
        return ()  # urgent already, or the PO said it can wait
    else:
        buttons = (Button(label=tr.t("It's urgent"), action_id="escalate", value=value),)
    return (Section(key=ack_key(item), buttons=buttons),)


def answered_section(
    tr: Translator, item: BacklogItem, answer: str, params: Mapping[str, object]
) -> Section:
    """The acknowledgement's section after an answer: what was said, and what may still be
    pressed ("It's urgent", while the request waits and is not urgent)."""
    [*rest] = ack_section(tr, item)
    buttons = rest[0].buttons if rest else ()
    outcome = tr.t(ANSWERED[answer], **params)
    return Section(key=ack_key(item), buttons=buttons, outcome=outcome)


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


def next_steps(ctx: Context, tr: Translator, person: Person) -> str:
    """What happens next, after a thanks said already: when the PO looks, and by when."""
    review_times = ctx.workspace.review_times
    upcoming = next_review(
        ctx.clock.now(), parse_review_times(review_times), ctx.workspace.timezone
    )
    return tr.t(
        "It is in the PO's triage queue: the PO looks at new requests on {rhythm}; you'll hear "
        "by {day}.",
        rhythm=review_rhythm(tr, review_times),
        day=day_text(tr, upcoming, timezone_of(person, ctx.workspace)),
    )


async def refresh_cards(
    ctx: Context,
    item: BacklogItem,
    answer: str | None = None,
    params: Mapping[str, object] | None = None,
) -> None:
    """Every card showing the item, drawn anew in its reader's language: the PO's cards with
    the item as it is now, the stakeholder's acknowledgement with the answer given."""
    duplicate = await duplicate_of(ctx, item)

    def rewrite(message: OutboundMessage, reader: Person | None) -> OutboundMessage:
        tr = ctx.translator_for(reader) if reader else ctx.tr
        updated = with_item(message, tr, item, duplicate)
        key = ack_key(item)
        if answer is not None and any(section.key == key for section in updated.sections):
            updated = updated.replace_section(key, answered_section(tr, item, answer, params or {}))
        return updated

    await outbox.update_cards(ctx, item, rewrite)
