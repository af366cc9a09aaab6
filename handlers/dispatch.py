"""The entry point for every neutral event: the middleware in front, then the handler."""

from __future__ import annotations

from bot.kernel.events import ActionEvent, InboundEvent, InstallEvent, MessageEvent, TrackerEvent
from handlers import checks as _checks  # noqa: F401 - registers the stakeholder's answers
from handlers import corrections as _corrections  # noqa: F401 - registers the corrections
from handlers import decisions as _decisions  # noqa: F401 - registers the decision handlers
from handlers import settings as _settings  # noqa: F401 - registers the settings handlers
from handlers.context import Context
from handlers.messages import handle_message
from handlers.registry import ACTIONS
from handlers.routing_guard import refuse_unknown_action, run_action
from handlers.trackers import from_tracker
from handlers.welcome import welcome


async def dispatch(event: InboundEvent, ctx: Context) -> None:
    if isinstance(event, MessageEvent):
        await handle_message(event, ctx)
    elif isinstance(event, InstallEvent):
        await welcome(event, ctx)
    elif isinstance(event, TrackerEvent):
        ctx.outcome = await from_tracker(ctx.uow, ctx.services, ctx.workspace, event)
    else:
        await handle_action(event, ctx)


async def handle_action(event: ActionEvent, ctx: Context) -> None:
    registration = ACTIONS.get(event.action_id)
    if registration is None:
        await refuse_unknown_action(event, ctx)
        return
    await run_action(registration, event, ctx)
