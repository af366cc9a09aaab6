"""Answers to the bot's coaching questions: a reflection, or the scope of the next session."""

from __future__ import annotations

from bot.kernel.events import MessageEvent
from bot.kernel.outbound import OutboundMessage
from handlers import outbox
from handlers.context import Context, timezone_of
from handlers.routing import Incoming, route
from handlers.texts import day_text
from storage.coaching_models import Confidentiality, Prompt


async def open_prompt(incoming: Incoming, ctx: Context) -> Prompt | None:
    """The bot's coaching question this person has not answered yet; only a direct message
    answers it (what they say in a channel is for the channel)."""
    if incoming.event.source != "direct":
        return None
    return await ctx.uow.coaching.open_prompt(
        person_id=ctx.actor.id, now=ctx.clock.now(), workspace_id=ctx.workspace.id
    )


@route("prompt answer", open_prompt)
async def answer_prompt(event: MessageEvent, ctx: Context, prompt: Prompt) -> None:
    text = event.text.strip()
    now = ctx.clock.now()
    prompt.answered_at = now
    if prompt.kind == "reflection":
        await _reflection(event, ctx, prompt, text)
    else:
        await _session_scope(event, ctx, prompt, text)


async def _reflection(event: MessageEvent, ctx: Context, prompt: Prompt, text: str) -> None:
    reflection = await ctx.uow.coaching.reflection_by_id(reflection_id=prompt.subject_id)
    tr = ctx.tr
    if reflection is None:
        return
    reflection.answer = text
    reflection.answered_at = ctx.clock.now()
    contract = await ctx.uow.coaching.contract_by_id(contract_id=reflection.contract_id)
    shared = contract is not None and contract.confidentiality == Confidentiality.FULL
    note = (
        tr.t("Thanks, noted. Your coach reads it in the weekly digest.")
        if shared
        else tr.t("Thanks, noted. It stays private to you.")
    )
    await outbox.answer(ctx, event, note)


async def _session_scope(event: MessageEvent, ctx: Context, prompt: Prompt, text: str) -> None:
    session = await ctx.uow.coaching.session_by_id(session_id=prompt.subject_id)
    if session is None:
        return
    session.scope = text
    contract = await ctx.uow.coaching.contract_by_id(contract_id=session.contract_id)
    tr = ctx.tr
    day = day_text(tr, session.starts_at, timezone_of(ctx.actor, ctx.workspace))
    reply = tr.t("Thanks, the scope of the session on {day} is noted.", day=day)
    await outbox.answer(ctx, event, reply)
    if contract is None:
        return
    for other in (contract.po, contract.coach):
        if other is not None and other.id != ctx.actor.id:
            tr_other = ctx.translator_for(other)
            text_other = tr_other.t(
                "{name} noted the scope of your coaching session on {day}: {scope}",
                name=ctx.actor.name,
                day=day_text(tr_other, session.starts_at, timezone_of(other, ctx.workspace)),
                scope=text,
            )
            await outbox.send_direct(ctx, other, OutboundMessage(text=text_other))
