"""The entry point for every neutral event: the middleware in front, then the handler."""

from __future__ import annotations

import logging

from bot.kernel.events import ActionEvent, InboundEvent, InstallEvent, MessageEvent
from handlers import checks as _checks  # noqa: F401 - registers the stakeholder's answers
from handlers import corrections as _corrections  # noqa: F401 - registers the corrections
from handlers import decisions as _decisions  # noqa: F401 - registers the decision handlers
from handlers import outbox
from handlers import settings as _settings  # noqa: F401 - registers the settings handlers
from handlers.audit import audit_refusal
from handlers.context import Context
from handlers.messages import handle_message
from handlers.registry import ACTIONS
from handlers.routing_guard import run_action
from handlers.welcome import welcome

log = logging.getLogger(__name__)


async def dispatch(event: InboundEvent, ctx: Context) -> None:
    if isinstance(event, MessageEvent):
        await handle_message(event, ctx)
    elif isinstance(event, InstallEvent):
        await welcome(event, ctx)
    else:
        await handle_action(event, ctx)


async def handle_action(event: ActionEvent, ctx: Context) -> None:
    registration = ACTIONS.get(event.action_id)
    if registration is None:
        log.warning("Unknown action %r from %s", event.action_id, event.sender.user_id)
        await audit_refusal(ctx, event.action_id, event.value, "unknown action")
        text = ctx.tr.t("I don't know that button (any more); nothing was changed.")
        await outbox.answer(ctx, event, text)
        return
    await run_action(registration, event, ctx)
