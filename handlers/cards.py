"""The PO's cards: one backlog item with its triage, the reasons, and one button per decision."""

from __future__ import annotations

from typing import Any

from bot.kernel.i18n import N_, Translator
from bot.kernel.outbound import Button, Field, InputSpec, Menu, OutboundMessage, Section
from handlers.texts import day_text
from handlers.triage.reason_texts import LATER as LATER_REASONS
from handlers.triage.text import snippet
from storage.models import BacklogItem, ItemStatus, ItemType, Source

# The tracker's open items a card offers to merge into, at most.
MATCHES_SHOWN = 2
TYPE_NAMES = {
    ItemType.INCIDENT: N_("Incident"),
    ItemType.BUG: N_("Bug"),
    ItemType.FEATURE: N_("Feature"),
    ItemType.QUESTION: N_("Question"),
}
SOURCE_NAMES = {
    Source.DIRECT: N_("direct message"),
    Source.CHANNEL: N_("channel"),
    Source.BACK_DOOR: N_("back door, forwarded by {forwarder}"),
}
# The type in a sentence, with its article ("#12 is a bug").
TYPE_NOUNS = {
    ItemType.INCIDENT: N_("an incident"),
    ItemType.BUG: N_("a bug"),
    ItemType.FEATURE: N_("a feature request"),
    ItemType.QUESTION: N_("a question"),
}
CORRECT_TYPE = {
    ItemType.INCIDENT: N_("It's an incident"),
    ItemType.BUG: N_("It's a bug"),
    ItemType.FEATURE: N_("It's a feature request"),
    ItemType.QUESTION: N_("It's a question"),
}
URGENCY_NAMES = {
    (True, None): N_("Urgent"),
    (True, "stakeholder"): N_("Urgent (the stakeholder says so)"),
    (True, "po"): N_("Urgent (marked by the PO)"),
    (False, None): N_("Not urgent"),
    (False, "po"): N_("Not urgent (marked by the PO)"),
}
CHECK_NAMES = {
    ("urgency", None): N_("Is it blocking people now? (no answer yet)"),
    ("urgency", "yes"): N_("Is it blocking people now? Yes"),
    ("urgency", "no"): N_("Is it blocking people now? No, it can wait"),
    ("duplicate", None): N_("The same as #{id}? (no answer yet)"),
    ("duplicate", "same"): N_("The same as #{id}? Yes"),
    ("duplicate", "other"): N_("The same as #{id}? No, something else"),
}
# Reason values shown as numbers, in the reader's notation (0.84 or 0,84; 5,000 or 5.000).
NUMBER_PARAMS = frozenset({"p", "score"})
WHOLE_NUMBER_PARAMS = frozenset({"chars"})
CARD_TEXT = 600  # characters of the request shown on a card
STATUS_NAMES = {
    "queued": N_("waiting for the PO"),
    "needs_info": N_("waiting for more information"),
    "approved": N_("on the backlog"),
    "deferred": N_("deferred"),
    "declined": N_("declined"),
    "merged": N_("merged with another request"),
    "done": N_("done"),
}


def item_key(item: BacklogItem) -> str:
    return f"item:{item.id}"


def shown_item_ids(message: OutboundMessage) -> list[int]:
    """The items whose sections the message shows, to update it when one is decided."""
    return [
        int(section.key.removeprefix("item:"))
        for section in message.sections
        if section.key and section.key.startswith("item:")
    ]


def type_name(tr: Translator, item: BacklogItem) -> str:
    return tr.t(TYPE_NAMES.get(ItemType(item.type), item.type))


def status_name(tr: Translator, status: str) -> str:
    return tr.t(STATUS_NAMES.get(status, status))


def status_text(tr: Translator, item: BacklogItem, timezone: str | None = None) -> str:
    """The item's state in words, with what a reader acts on: until when it is deferred (in
    the reader's time zone, when known), which request it was merged into."""
    if item.status == ItemStatus.DEFERRED and item.deferred_until and timezone:
        return tr.t("deferred until {day}", day=day_text(tr, item.deferred_until, timezone))
    if item.status == ItemStatus.MERGED and item.duplicate_of_id is not None:
        return tr.t("merged into #{id}", id=item.duplicate_of_id)
    if item.status == ItemStatus.APPROVED and item.type == ItemType.INCIDENT:
        return tr.t("being worked on")
    if item.status == ItemStatus.DONE and item.type == ItemType.INCIDENT:
        return tr.t("resolved")
    return status_name(tr, item.status)


def source_text(tr: Translator, item: BacklogItem) -> str:
    request = item.request
    forwarder = request.forwarded_by.name if request.forwarded_by else ""
    return tr.t(SOURCE_NAMES[Source(request.source)], forwarder=forwarder)


def request_text(item: BacklogItem) -> str:
    request = item.request
    if request.clarification:
        return f"{request.text}\n\n{request.clarification}"
    return request.text


def card_text(tr: Translator, item: BacklogItem) -> str:
    """The request's words on a card, shortened when long: a card must not fill the screen."""
    text = request_text(item)
    if len(text) <= CARD_TEXT:
        return text
    return (
        snippet(text, CARD_TEXT)
        + "\n"
        + tr.t(
            "({count} characters in all; the backlog export has the whole text.)",
            count=tr.number(len(text)),
        )
    )


def item_section(
    tr: Translator,
    item: BacklogItem,
    duplicate: BacklogItem | None = None,
    *,
    timezone: str | None = None,
) -> Section:
    """The item as the PO sees it: facts, why triage thinks so, and the decision buttons."""
    fields = [
        Field(label=tr.t("Type"), value=type_name(tr, item)),
        Field(label=tr.t("Urgency"), value=urgency_name(tr, item)),
        Field(label=tr.t("From"), value=item.request.stakeholder.name),
        Field(label=tr.t("Source"), value=source_text(tr, item)),
        Field(label=tr.t("Status"), value=status_text(tr, item, timezone)),
    ]
    if duplicate is not None:
        fields.append(
            Field(
                label=tr.t("Possible duplicate of"),
                value=f"#{duplicate.id} {duplicate.title}",
            )
        )
    if item.tracker_matches:
        found = "\n".join(f"{m['key']} {m['title']} ({m['url']})" for m in item.tracker_matches)
        fields.append(Field(label=tr.t("Maybe already in the tracker"), value=found))
    if item.pending_question:
        fields.append(Field(label=tr.t("Open question"), value=item.pending_question))
    if item.check_kind:
        check = CHECK_NAMES.get((item.check_kind, item.check_answer))
        if check:
            value = tr.t(check, id=item.check_of_id)
            fields.append(Field(label=tr.t("Asked the stakeholder"), value=value))
    reasons = "; ".join(translate_reason(tr, reason) for reason in newest_first(item.reasons))
    if reasons:
        fields.append(Field(label=tr.t("Why"), value=reasons))
    return Section(
        key=item_key(item),
        title=f"#{item.id} {item.title}",
        text=card_text(tr, item),
        fields=tuple(fields),
        buttons=decision_buttons(tr, item, duplicate),
        menu=correction_menu(tr, item),
    )


def urgency_name(tr: Translator, item: BacklogItem) -> str:
    by = item.urgent_by if (item.urgent, item.urgent_by) in URGENCY_NAMES else None
    return tr.t(URGENCY_NAMES[(item.urgent, by)])


def correction_menu(tr: Translator, item: BacklogItem) -> Menu:
    """The PO's one-click corrections of the triage; each one also teaches it."""
    value = str(item.id)
    buttons = [
        Button(label=tr.t(label), action_id="correct_type", value=f"{value}:{kind}")
        for kind, label in CORRECT_TYPE.items()
        if kind != item.type
    ]
    if item.urgent:
        buttons.append(
            Button(label=tr.t("Mark not urgent"), action_id="correct_urgent", value=f"{value}:no")
        )
    else:
        buttons.append(
            Button(label=tr.t("Mark urgent"), action_id="correct_urgent", value=f"{value}:yes")
        )
    if item.duplicate_of_id is not None:
        buttons.append(
            Button(
                label=tr.t("Not a duplicate of #{id}", id=item.duplicate_of_id),
                action_id="not_duplicate",
                value=value,
            )
        )
    return Menu(label=tr.t("Correct the triage"), buttons=tuple(buttons))


def newest_first(reasons: list[Any]) -> list[Any]:
    """What people said later (the stakeholder's answer, the PO's correction) before the
    triage's own reasons, newest first: a clipped card still shows it."""
    later = [r for r in reasons if isinstance(r, dict) and r.get("msgid") in LATER_REASONS]
    return [*reversed(later), *(r for r in reasons if r not in later)]


def translate_reason(tr: Translator, reason: object) -> str:
    """Reasons are stored as {"msgid", "params"} so each reader gets them in their language."""
    if isinstance(reason, dict) and isinstance(reason.get("msgid"), str):
        msgid: str = reason["msgid"]
        params = reason.get("params") or {}
        return tr.t(msgid, **{str(k): _reason_value(tr, str(k), v) for k, v in params.items()})
    return str(reason)


def _reason_value(tr: Translator, key: str, value: object) -> object:
    if key == "type" and value in TYPE_NOUNS:
        return tr.t(TYPE_NOUNS[ItemType(str(value))])
    if key in NUMBER_PARAMS or key in WHOLE_NUMBER_PARAMS:
        try:
            number = float(str(value))
        except ValueError:
            return value
        return tr.number(number, digits=2 if key in NUMBER_PARAMS else 0)
    return value


def decision_buttons(
    tr: Translator, item: BacklogItem, duplicate: BacklogItem | None
) -> tuple[Button, ...]:
    value = str(item.id)
    buttons = [
        Button(label=tr.t("Approve (top)"), action_id="approve_top", value=value, style="primary"),
        Button(label=tr.t("Approve (bottom)"), action_id="approve_bottom", value=value),
        Button(label=tr.t("Defer to next review"), action_id="defer_review", value=value),
        Button(
            label=tr.t("Defer until…"),
            action_id="defer_until",
            value=value,
            input=InputSpec(kind="date", label=tr.t("Until which date?")),
        ),
        Button(
            label=tr.t("Decline"),
            action_id="decline",
            value=value,
            style="danger",
            input=InputSpec(kind="text", label=tr.t("Reason for the stakeholder")),
        ),
    ]
    if duplicate is not None:
        buttons.append(
            Button(label=tr.t("Merge into #{id}", id=duplicate.id), action_id="merge", value=value)
        )
    for match in (item.tracker_matches or [])[:MATCHES_SHOWN]:
        buttons.append(
            Button(
                label=tr.t("Merge into {key}", key=match["key"]),
                action_id="merge_tracker",
                value=f"{item.id}:{match['key']}",
            )
        )
    buttons.append(
        Button(
            label=tr.t("Ask"),
            action_id="ask",
            value=value,
            input=InputSpec(kind="text", label=tr.t("Your question to the stakeholder")),
        )
    )
    return tuple(buttons)


def queue_key(item_id: int) -> str:
    return f"queue:{item_id}"


def queue_entry(tr: Translator, item: BacklogItem, duplicate: BacklogItem | None) -> Section:
    """The item as one line of the triage-queue list: what it is, the quick decisions in a
    menu, and its whole card on demand (for a reason, a date or a question to type)."""
    facts = [type_name(tr, item), urgency_name(tr, item), item.request.stakeholder.name]
    if item.needs_info:
        facts.append(tr.t("gives no reason"))
    if duplicate is not None:
        facts.append(tr.t("possibly the same as #{id}", id=duplicate.id))
    quick = [b for b in decision_buttons(tr, item, duplicate) if b.input is None]
    return Section(
        key=queue_key(item.id),
        title=f"#{item.id} {item.title}",
        text=" · ".join(facts),
        buttons=(Button(label=tr.t("Open card"), action_id="queue_open", value=str(item.id)),),
        menu=Menu(label=tr.t("Decide"), buttons=tuple(quick)),
    )


def queue_heading(tr: Translator, waiting: int) -> str:
    return tr.n(
        "Triage queue: {count} request waiting for a decision.",
        "Triage queue: {count} requests waiting for a decision.",
        waiting,
    )


def item_card(
    tr: Translator, headline: str, item: BacklogItem, duplicate: BacklogItem | None
) -> OutboundMessage:
    return OutboundMessage(text=headline, sections=(item_section(tr, item, duplicate),))


def with_outcome(
    message: OutboundMessage,
    tr: Translator,
    item: BacklogItem,
    duplicate: BacklogItem | None,
    outcome: str,
    timezone: str,
) -> OutboundMessage:
    """The card after a decision: the item's section drawn as the item is now, with the
    outcome, without decision buttons or corrections (an incident being worked on keeps its
    Resolve button); a stakeholder's acknowledgement loses its buttons (nothing left to press)."""
    for section in message.sections:
        if section.key == queue_key(item.id):
            line = section.model_copy(update={"buttons": (), "menu": None, "outcome": outcome})
            message = message.replace_section(section.key, line)
        elif section.key == item_key(item):
            drawn = item_section(tr, item, duplicate, timezone=timezone)
            decided = drawn.model_copy(
                update={
                    "buttons": after_decision_buttons(tr, item),
                    "menu": None,
                    "outcome": outcome,
                }
            )
            message = message.replace_section(section.key, decided)
        elif section.key == f"ack:{item.id}" and section.buttons:
            message = message.replace_section(
                section.key, section.model_copy(update={"buttons": ()})
            )
    return message


def after_decision_buttons(tr: Translator, item: BacklogItem) -> tuple[Button, ...]:
    """What is left to press on a decided card: Resolve, on an incident being worked on."""
    if item.status == ItemStatus.APPROVED and item.type == ItemType.INCIDENT:
        return (
            Button(
                label=tr.t("Mark resolved"),
                action_id="resolve",
                value=str(item.id),
                style="primary",
            ),
        )
    return ()


def with_item(
    message: OutboundMessage, tr: Translator, item: BacklogItem, duplicate: BacklogItem | None
) -> OutboundMessage:
    """The card with the item's section drawn anew (after a correction or an answer), unless
    it was decided already."""
    for section in message.sections:
        if section.key == item_key(item) and section.outcome is None:
            return message.replace_section(section.key, item_section(tr, item, duplicate))
        if section.key == queue_key(item.id) and section.outcome is None:
            return message.replace_section(section.key, queue_entry(tr, item, duplicate))
    return message


def with_queue_heading(message: OutboundMessage, tr: Translator, waiting: int) -> OutboundMessage:
    """A triage-queue list with its heading brought up to date (after a decision)."""
    if not any((section.key or "").startswith("queue:") for section in message.sections):
        return message
    if waiting == 0:
        return message.model_copy(update={"text": tr.t("Triage queue: every request is decided.")})
    return message.model_copy(update={"text": queue_heading(tr, waiting)})
