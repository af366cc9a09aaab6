"""Where a message goes: the first route in handlers/routing.ORDER that matches takes it, and its
handler runs behind the middleware (the role check, a refusal audited)."""

from __future__ import annotations

from typing import Any

from bot.kernel.events import MessageEvent
from handlers import commands as _commands  # noqa: F401 - registers the commands
from handlers import intake as _intake  # noqa: F401 - registers forwards and requests
from handlers import question_answers as _question_answers  # noqa: F401 - registers the answers
from handlers import small_talk as _small_talk  # noqa: F401 - registers the small-talk answers
from handlers import tracker_chat as _tracker_chat  # noqa: F401 - registers "tracker"
from handlers import tracker_merge as _tracker_merge  # noqa: F401 - registers "merge into"
from handlers import tracker_replies as _tracker_replies  # noqa: F401 - registers the replies
from handlers.coaching import answers as _answers  # noqa: F401 - registers prompt answers
from handlers.coaching import chat as _chat  # noqa: F401 - registers the coaching phrases
from handlers.context import Context
from handlers.routing import Incoming, Route, routes_in_order
from handlers.routing_guard import run_route

# Every route in ORDER is registered by one of the modules above.
routes_in_order()


async def handle_message(event: MessageEvent, ctx: Context) -> None:
    incoming = Incoming(event, event.text.strip())
    route, found = await first_route(incoming, ctx)
    await run_route(route, found, event, ctx)


async def first_route(incoming: Incoming, ctx: Context) -> tuple[Route[Any], Any]:
    """The route that takes the message, and what it found in it."""
    for route in routes_in_order():
        if route.ignores(ctx.actor.role):
            continue
        found = await route.match(incoming, ctx)
        if found is not None:
            return route, found
    raise LookupError("no route took the message")  # "new request" takes every message
