"""Approved requests into the workspace's tracker, through its outbox (tracker jobs): asked for
with the approval, created by the runtime's tracker worker, and told to the stakeholders and
on the cards once the tracker has the item; a refusal is told to the PO in plain words, with
the request kept. Handlers see only the neutral port (bot/kernel/trackers.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import fields

from bot.kernel.events import TrackerEvent
from bot.kernel.i18n import N_, Translator
from bot.kernel.outbound import Field, OutboundMessage
from bot.kernel.trackers import NewTrackerItem, TrackerMatch, TrackerRef, TrackerSettings
from handlers import outbox
from handlers.acknowledge import refresh_cards
from handlers.cards import item_key
from handlers.context import Context, Services
from handlers.decisions import tell_stakeholders
from handlers.routing import DECIDER_ROLES
from handlers.triage.duplicates import similarities
from storage.models import BacklogItem, ItemStatus, Person, Workspace, WorkspaceTracker
from storage.repositories import UnitOfWork

log = logging.getLogger(__name__)
IN_TRACKER = N_("In the tracker")
SETTING_FIELDS = tuple(field.name for field in fields(TrackerSettings))
KIND_NAMES = {
    "jira": "Jira",
    "azure-devops": "Azure DevOps",
    "github": "GitHub",
    "linear": "Linear",
}


def settings_of(row: WorkspaceTracker) -> TrackerSettings:
    return TrackerSettings(**{name: getattr(row, name) for name in SETTING_FIELDS})


def link_of(workspace: Workspace, item: BacklogItem) -> str:
    """The request's reference, written into the tracker's item: found again by it."""
    return f"heatshield:{workspace.platform}:{workspace.external_id}:{item.id}"


def new_tracker_item(workspace: Workspace, item: BacklogItem, *, top: bool) -> NewTrackerItem:
    request = item.request
    text = f"{request.text}\n\n{request.clarification}" if request.clarification else request.text
    return NewTrackerItem(
        title=item.title,
        text=text,
        stakeholder=request.stakeholder.name,
        type=item.type,
        link=link_of(workspace, item),
        top=top,
    )


async def created(
    uow: UnitOfWork, services: Services, workspace: Workspace, item: BacklogItem, ref: TrackerRef
) -> None:
    """The tracker has the item: it is kept with the request, shown on its cards, and told to
    everyone who asked for it."""
    item.tracker_key, item.tracker_url = ref.key, ref.url
    ctx = Context(uow, services, workspace, item.request.stakeholder)

    def shown(message: OutboundMessage, reader: Person | None) -> OutboundMessage:
        return with_tracker_field(message, ctx.translator_for(reader) if reader else ctx.tr, item)

    await outbox.update_cards(ctx, item, shown)

    def compose(tr: Translator, subject: BacklogItem, _: Person) -> str:
        return tr.t(
            'Your request "{title}" is on the team\'s board now, as {key}: {url}',
            title=subject.title,
            key=ref.key,
            url=ref.url,
        )

    await tell_stakeholders(ctx, item, compose)


async def linked(
    uow: UnitOfWork, services: Services, workspace: Workspace, item: BacklogItem, ref: TrackerRef
) -> None:
    """The request was merged into an item the tracker has: its key is kept with the request,
    and its stakeholders hear it; they hear again whenever it moves. When another request
    already stands for that item, this one is merged into that request, so one request holds
    each key and a move reaches everyone through it."""
    holder = await uow.trackers.item_with_key(workspace_id=workspace.id, key=ref.key)
    if holder is not None and holder.id != item.id:
        item.duplicate_of_id = holder.id
    else:
        item.tracker_key, item.tracker_url = ref.key, ref.url
    ctx = Context(uow, services, workspace, item.request.stakeholder)

    def compose(tr: Translator, subject: BacklogItem, _: Person) -> str:
        return tr.t(
            'Your request "{title}" is the same as {key} on the team\'s board ({url}), so the '
            "PO has combined them. I'll tell you when it moves.",
            title=subject.title,
            key=ref.key,
            url=ref.url,
        )

    await tell_stakeholders(ctx, item, compose)


async def not_linked(
    uow: UnitOfWork, services: Services, workspace: Workspace, item: BacklogItem, key: str
) -> None:
    """The tracker has no item under the key the PO typed: the request waits for a decision
    again, and the PO hears why."""
    item.status = ItemStatus.QUEUED
    await tell_deciders(
        uow, services, workspace,
        N_('{key} is not in the tracker, so #{id} "{title}" was not merged; it waits for '
           "your decision again."),
        key=key, id=item.id, title=item.title,
    )  # fmt: skip


async def link_refused(
    uow: UnitOfWork,
    services: Services,
    workspace: Workspace,
    item: BacklogItem,
    key: str,
    problem: str,
) -> None:
    """The tracker would not show the item to merge into (a token it refuses, say): the
    request is not merged into what could not be checked; it waits for a decision again, and
    the PO hears why."""
    item.status = ItemStatus.QUEUED
    kind = await tracker_name(uow, workspace)
    await tell_deciders(
        uow, services, workspace,
        N_('{tracker} would not show me {key} ({problem}), so #{id} "{title}" was not merged; '
           "it waits for your decision again."),
        tracker=kind, key=key, problem=problem, id=item.id, title=item.title,
    )  # fmt: skip


async def answer_refused(
    uow: UnitOfWork, services: Services, workspace: Workspace, item: BacklogItem, problem: str
) -> None:
    """The tracker would not take the stakeholder's answer: they hear it, so it is not lost
    without a word."""
    ctx = Context(uow, services, workspace, item.request.stakeholder)
    # The tracker's own words (a token, an address) are for the log, not for the stakeholder.
    log.info("An answer on %s was refused: %s", item.tracker_key, problem)
    text = ctx.tr.t(
        "The team's tracker would not take your answer on {key}. Please tell the PO directly.",
        key=item.tracker_key or "?",
    )
    await outbox.send_direct(ctx, item.request.stakeholder, OutboundMessage(text=text))


async def refused(
    uow: UnitOfWork, services: Services, workspace: Workspace, item: BacklogItem, problem: str
) -> None:
    """The tracker will not take the item: the PO and delegates hear why, in plain words; the
    request stays approved here."""
    kind = await tracker_name(uow, workspace)
    await tell_deciders(
        uow, services, workspace,
        N_('I could not create #{id} "{title}" in {tracker}: {problem}. The request stays '
           "approved here; once that is put right ('heatshield tracker set'), I try again."),
        id=item.id, title=item.title, tracker=kind, problem=problem,
    )  # fmt: skip


async def tracker_name(uow: UnitOfWork, workspace: Workspace) -> str:
    """The workspace's tracker as people name it ("Jira"), "?" when it has none any more."""
    row = await uow.trackers.of_workspace(workspace_id=workspace.id)
    return KIND_NAMES.get(row.kind, row.kind) if row else "?"


async def close_matches(
    services: Services, text: str, matches: Sequence[TrackerMatch]
) -> list[dict[str, object]]:
    """Of what the tracker's search found, the items close enough to the request to be the
    same, best first: scored as the triage scores a duplicate (the built-in encoder's cosine,
    damped for short texts) against its own "maybe the same" threshold, not a new one."""
    if not matches:
        return []
    triager = services.triage.triager
    texts = [text, *(match.title for match in matches)]
    vectors = await asyncio.to_thread(triager.embedder.embed, texts)
    scores = similarities(
        vectors[0], len(text.split()), vectors[1:], [len(m.title.split()) for m in matches]
    )
    limit = triager.model.thresholds.duplicate_ask
    kept = sorted(
        ((float(score), match) for score, match in zip(scores, matches, strict=True)),
        key=lambda pair: -pair[0],
    )
    return [
        {"key": m.key, "url": m.url, "title": m.title[:200], "score": round(score, 3)}
        for score, m in kept
        if score >= limit
    ][:3]


async def found_in_tracker(
    uow: UnitOfWork, services: Services, workspace: Workspace, item: BacklogItem
) -> None:
    """The request's cards show the tracker's items it may repeat, with "Merge into" each."""
    ctx = Context(uow, services, workspace, item.request.stakeholder)
    await refresh_cards(ctx, item)


async def tell_deciders(
    uow: UnitOfWork, services: Services, workspace: Workspace, msgid: str, **params: object
) -> None:
    """The PO and every delegate hear it directly, each in their language."""
    await tell_deciders_in_words(uow, services, workspace, lambda tr: tr.t(msgid, **params))


async def tell_deciders_in_words(
    uow: UnitOfWork,
    services: Services,
    workspace: Workspace,
    compose: Callable[[Translator], str],
) -> None:
    """The PO and every delegate hear what ``compose`` says in their language."""
    for decider in await uow.people.with_roles(workspace_id=workspace.id, roles=DECIDER_ROLES):
        ctx = Context(uow, services, workspace, decider)
        await outbox.send_direct(ctx, decider, OutboundMessage(text=compose(ctx.tr)))


def with_tracker_field(
    message: OutboundMessage, tr: Translator, item: BacklogItem
) -> OutboundMessage:
    """The item's card with its key and link in the tracker."""
    for section in message.sections:
        if section.key == item_key(item):
            label = tr.t(IN_TRACKER)
            kept = tuple(f for f in section.fields if f.label != label)
            field = Field(label=label, value=f"{item.tracker_key} {item.tracker_url}")
            return message.replace_section(
                section.key, section.model_copy(update={"fields": (*kept, field)})
            )
    return message


async def from_tracker(
    uow: UnitOfWork, services: Services, workspace: Workspace, event: TrackerEvent
) -> str:
    """What a tracker said (a move, or a comment for the requester), handled; the log's words."""
    if event.comment:
        return await relay_comment(uow, services, workspace, event.key, event.sender.user_id,
                                   event.comment)  # fmt: skip
    if event.state:
        return await tracker_moved(uow, services, workspace, event.key, event.state)
    return f"{event.key}: nothing to do"


async def relay_comment(
    uow: UnitOfWork, services: Services, workspace: Workspace, key: str, author: str, text: str
) -> str:
    """A comment on the tracker item marked for the requester reaches its stakeholders."""
    item = await uow.trackers.item_with_key(workspace_id=workspace.id, key=key)
    if item is None:
        return f"a comment on {key}: no request of ours"
    ctx = Context(uow, services, workspace, item.request.stakeholder)

    def compose(tr: Translator, subject: BacklogItem, _: Person) -> str:
        return tr.t(
            'A note from the team about your request "{title}" ({key}), from {author}: {text}\n'
            "To answer, write 're {key}: ' and your answer; I'll pass it on.",
            title=subject.title,
            key=key,
            author=author,
            text=text,
        )

    await tell_stakeholders(ctx, item, compose, answerable=True)
    return f"a comment on {key} relayed to the stakeholders of request #{item.id}"


MOVES = {
    "in_progress": N_('Work has started on your request "{title}" ({key}).'),
    "done": N_('Your request "{title}" has shipped: {key} is done. Thanks for asking for it.'),
    "wont_do": N_(
        'The team has decided not to do your request "{title}" ({key}) after all. '
        "Ask the PO if you want to know why."
    ),
}


async def tracker_moved(
    uow: UnitOfWork, services: Services, workspace: Workspace, key: str, state: str
) -> str:
    """The tracker moved an item: its stakeholders (and everyone merged into it) are told, once
    per move, in their language; done marks the request shipped. Returns the log's words."""
    item = await uow.trackers.item_with_key(workspace_id=workspace.id, key=key)
    if item is None:
        return f"{key} moved to {state}: no request of ours"
    if item.tracker_state == state:
        return f"{key} is {state} already: nobody told again"
    item.tracker_state = state
    now = services.clock.now()
    if state == "done":
        item.status = ItemStatus.DONE
        item.shipped_at = item.shipped_at or now
    elif item.status == ItemStatus.DONE:  # reopened, or moved back
        item.status = ItemStatus.APPROVED
    msgid = MOVES.get(state)
    if msgid is None:
        return f"{key} moved to {state}"
    ctx = Context(uow, services, workspace, item.request.stakeholder)

    def compose(tr: Translator, subject: BacklogItem, _: Person) -> str:
        return tr.t(msgid, title=subject.title, key=key)

    await tell_stakeholders(ctx, item, compose, answerable=True)
    return f"request #{item.id} ({key}) moved to {state}: stakeholders told"
