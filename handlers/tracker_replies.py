""" "re APP-123: ...": a stakeholder answers a note the team left on the tracker item; the
answer becomes a comment on the item (through the tracker's outbox), signed with their name."""

from __future__ import annotations

import re

from bot.kernel.events import MessageEvent
from bot.kernel.i18n import N_
from handlers import outbox
from handlers.context import Context
from handlers.decisions import merged_chain
from handlers.routing import Incoming, route
from storage.models import BacklogItem, TrackerJob

REPLY = re.compile(
    r"^\s*(?:re|reply|antwoord)\s+(?P<key>[^\s:]{1,100})\s*:\s*(?P<text>\S.*)$",
    re.IGNORECASE | re.DOTALL,
)
MAX_REPLY = 4_000


async def reply_words(incoming: Incoming, ctx: Context) -> tuple[str, str] | None:
    found = REPLY.match(incoming.text)
    if found is None or await ctx.uow.trackers.of_workspace(workspace_id=ctx.workspace.id) is None:
        return None  # without a tracker these are ordinary words
    return found["key"], found["text"].strip()[:MAX_REPLY]


@route(
    "tracker reply",
    reply_words,
    help=(N_("re APP-123: your answer: passes your answer on to the team, on their item."),),
)
async def reply_on_tracker_item(event: MessageEvent, ctx: Context, found: tuple[str, str]) -> None:
    key, text = found
    tr = ctx.tr
    item = await ctx.uow.trackers.item_with_key(workspace_id=ctx.workspace.id, key=key)
    if item is None:
        item = await ctx.uow.trackers.item_with_key(workspace_id=ctx.workspace.id, key=key.upper())
    askers = {item.request.stakeholder_id} if item else set()
    if item is not None:
        askers |= {m.request.stakeholder_id for m in await merged_chain(ctx, item)}
    if item is None or ctx.actor.id not in askers:
        await outbox.answer(
            ctx, event, tr.t("I know no request of yours as {key}; nothing was passed on.", key=key)
        )
        return
    await pass_answer_on(event, ctx, item, text)


async def thread_reply(incoming: Incoming, ctx: Context) -> BacklogItem | None:
    """A reply in the thread of the bot's message about a request in the tracker (a note from
    the team, a move): an answer on that item. Where a platform has threads (Slack)."""
    thread = incoming.event.conversation.thread
    if not thread or not incoming.text:
        return None
    ref = f"{incoming.event.conversation.channel}:{thread}"
    about = await ctx.uow.outbox.items_of_sent(
        platform=incoming.event.conversation.platform, delivered_ref=ref, recipient_id=ctx.actor.id
    )
    for item_id in about:
        item = await ctx.uow.backlog.get(workspace_id=ctx.workspace.id, item_id=item_id)
        while item is not None and item.tracker_key is None and item.duplicate_of_id:
            item = await ctx.uow.backlog.get(
                workspace_id=ctx.workspace.id, item_id=item.duplicate_of_id
            )
        if item is not None and item.tracker_key:
            return item
    return None


@route("tracker thread reply", thread_reply)
async def reply_in_thread(event: MessageEvent, ctx: Context, item: BacklogItem) -> None:
    await pass_answer_on(event, ctx, item, event.text.strip()[:MAX_REPLY])


async def pass_answer_on(event: MessageEvent, ctx: Context, item: BacklogItem, text: str) -> None:
    """The stakeholder's answer, as a comment on the tracker's item (through its outbox)."""
    tr = ctx.tr
    key = item.tracker_key or ""
    now = ctx.clock.now()
    await ctx.uow.trackers.add_job(
        TrackerJob(item_id=item.id, action="comment", target_key=item.tracker_key,
                   body=f"From {ctx.actor.name} (via Heatshield): {text}", top=False,
                   status="pending", attempts=0, next_attempt_at=now, created_at=now)
    )  # fmt: skip
    ctx.outcome = f"reply on {item.tracker_key} passed to the tracker"
    await outbox.answer(
        ctx, event, tr.t("Thanks, I'm passing your answer on to the team on {key}.", key=key)
    )
