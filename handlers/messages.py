"""Where a message goes: a command, an answer to an open question, a forward or a new request."""

from __future__ import annotations

from datetime import timedelta

from bot.kernel.events import MessageEvent
from handlers import outbox
from handlers.coaching.answers import answer_prompt
from handlers.coaching.chat import try_coaching_command
from handlers.commands import find_command
from handlers.context import Context
from handlers.intake import MAX_REQUEST_LENGTH, answer_question, forwarded_request, new_request
from handlers.triage import Label, Vectors

# A question to a stakeholder stays open this long; a later message is a new request.
QUESTIONS_KEEP = timedelta(days=14)


async def handle_message(event: MessageEvent, ctx: Context) -> None:
    if event.forward_of is not None:
        await forwarded_request(event, ctx)
        return
    text = event.text.strip()
    tr = ctx.tr
    if not text:
        await outbox.answer(
            ctx, event, tr.t("Send me your request in a sentence or two: what you need, and why.")
        )
        return
    command = find_command(text)
    if command is not None:
        await command(event, ctx)
        return
    if await try_coaching_command(event, ctx, text):
        return
    if len(text) > MAX_REQUEST_LENGTH:
        await outbox.answer(
            ctx,
            event,
            tr.t(
                "That message is too long for one request ({length} characters; "
                "at most {limit}). Could you put it in fewer words?",
                length=len(text),
                limit=MAX_REQUEST_LENGTH,
            ),
        )
        return
    prompt = await ctx.uow.coaching.open_prompt(person_id=ctx.actor.id, now=ctx.clock.now())
    if prompt is not None and event.source == "direct":
        await answer_prompt(event, ctx, prompt, text)
        return
    vectors = None
    if event.source == "direct":
        since = ctx.clock.now() - QUESTIONS_KEEP
        waiting = await ctx.uow.backlog.awaiting_answer(person_id=ctx.actor.id, since=since)
        if waiting is not None:
            [vectors] = await ctx.services.triage.vectors([text])
            if not await cannot_wait(ctx, text, vectors):
                await answer_question(event, ctx, waiting, text)
                return
    await new_request(event, ctx, text, vectors)


async def cannot_wait(ctx: Context, text: str, vectors: Vectors) -> bool:
    """What is more likely urgent than not is never taken as the answer to an open question:
    it must have its own chance to break through."""
    service = ctx.services.triage
    labels = await ctx.uow.triage.labels(workspace_id=ctx.workspace.id)
    team = [Label(lb.text, lb.vector, lb.type, lb.urgent) for lb in labels]
    result = await service.triage(text, labels=team, vectors=vectors, room=0)
    limits = service.triager.model.thresholds
    return result.urgent or result.confidence.urgent >= (limits.urgent_ask + limits.urgent_auto) / 2
