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
from storage.models import TrackerJob

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
