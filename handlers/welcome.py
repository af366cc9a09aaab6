"""The bot was installed somewhere: say hello, and remember a personal chat to reach its owner."""

from __future__ import annotations

from bot.kernel.events import InstallEvent
from handlers import outbox
from handlers.context import Context
from handlers.people import remember_direct_conversation


async def welcome(event: InstallEvent, ctx: Context) -> None:
    tr = ctx.tr
    if event.personal:
        remember_direct_conversation(ctx.actor, event.conversation)
        text = tr.t(
            "Hi! I'm Heatshield, the PO's heat shield. Send me your request in a "
            "sentence or two (what you need, and why): I'll make sure the PO sees it, and "
            "you'll hear the outcome from me. Type help to see what else I can do."
        )
    else:
        text = tr.t(
            "Hi everyone! I'm Heatshield, the PO's heat shield. Mention me with a request "
            "and I'll pass it to the PO and tell you the outcome in the thread. A request "
            'that reached you directly? Use "Send to Product Owner" on that message.'
        )
    await outbox.answer(ctx, event, text)
