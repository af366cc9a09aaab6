"""The PO's cards: one backlog item with its triage, the reasons, and one button per decision."""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.messages import Button, Field, InputSpec, OutboundMessage, Section
from storage.models import BacklogItem, ItemType, Source

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


def source_text(tr: Translator, item: BacklogItem) -> str:
    request = item.request
    forwarder = request.forwarded_by.name if request.forwarded_by else ""
    return tr.t(SOURCE_NAMES[Source(request.source)], forwarder=forwarder)


def request_text(item: BacklogItem) -> str:
    request = item.request
    if request.clarification:
        return f"{request.text}\n\n{request.clarification}"
    return request.text


def item_section(
    tr: Translator, item: BacklogItem, duplicate: BacklogItem | None = None
) -> Section:
    """The item as the PO sees it: facts, why triage thinks so, and the decision buttons."""
    fields = [
        Field(label=tr.t("Type"), value=type_name(tr, item)),
        Field(
            label=tr.t("Urgency"),
            value=tr.t("Urgent") if item.urgent else tr.t("Not urgent"),
        ),
        Field(label=tr.t("From"), value=item.request.stakeholder.name),
        Field(label=tr.t("Source"), value=source_text(tr, item)),
        Field(label=tr.t("Status"), value=status_name(tr, item.status)),
    ]
    if duplicate is not None:
        fields.append(
            Field(
                label=tr.t("Possible duplicate of"),
                value=f"#{duplicate.id} {duplicate.title}",
            )
        )
    if item.pending_question:
        fields.append(Field(label=tr.t("Open question"), value=item.pending_question))
    reasons = "; ".join(translate_reason(tr, reason) for reason in item.reasons)
    if reasons:
        fields.append(Field(label=tr.t("Why"), value=reasons))
    return Section(
        key=item_key(item),
        title=f"#{item.id} {item.title}",
        text=request_text(item),
        fields=tuple(fields),
        buttons=decision_buttons(tr, item, duplicate),
    )


def translate_reason(tr: Translator, reason: object) -> str:
    """Reasons are stored as {"msgid", "params"} so each reader gets them in their language."""
    if isinstance(reason, dict) and isinstance(reason.get("msgid"), str):
        msgid: str = reason["msgid"]
        params = reason.get("params") or {}
        return tr.t(msgid, **{str(k): v for k, v in dict(params).items()})
    return str(reason)


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
    buttons.append(
        Button(
            label=tr.t("Ask"),
            action_id="ask",
            value=value,
            input=InputSpec(kind="text", label=tr.t("Your question to the stakeholder")),
        )
    )
    return tuple(buttons)


def item_card(
    tr: Translator, headline: str, item: BacklogItem, duplicate: BacklogItem | None
) -> OutboundMessage:
    return OutboundMessage(text=headline, sections=(item_section(tr, item, duplicate),))


def with_outcome(message: OutboundMessage, item: BacklogItem, outcome: str) -> OutboundMessage:
    """The card after a decision: the item's section shows the outcome and loses its buttons."""
    key = item_key(item)
    for section in message.sections:
        if section.key == key:
            decided = section.model_copy(update={"buttons": (), "outcome": outcome})
            return message.replace_section(key, decided)
    return message
