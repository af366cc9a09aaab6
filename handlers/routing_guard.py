"""The middleware around the handlers of what a person types or clicks: who may use a route or a
button is checked here, in one place, and a refusal is answered politely, logged and audited."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any, TypeVar

from babel.lists import format_list

from bot.kernel.events import ActionEvent, InboundEvent, MessageEvent
from bot.kernel.i18n import N_, Translator
from handlers import outbox
from handlers.audit import audit_refusal
from handlers.context import Context
from handlers.registry import Registration
from handlers.routing import DECIDER_ROLES, EVERYONE, Route
from storage.models import Role

log = logging.getLogger(__name__)
F = TypeVar("F")

Next = Callable[[], Awaitable[None]]
Middleware = Callable[[Route[Any], MessageEvent, Context, Next], Awaitable[None]]

DECIDERS = frozenset(DECIDER_ROLES)
ROLE_NAMES = {
    Role.PO: N_("the PO"),
    Role.DELEGATE: N_("their delegates"),
    Role.COACH: N_("the coach"),
    Role.MEMBER: N_("team members"),
    Role.STAKEHOLDER: N_("stakeholders"),
}
ONLY_FOR = N_("Sorry, that is only for {who}. I've noted the attempt; nothing was changed.")
ONLY_DECIDERS = N_(
    "Sorry, only the PO and their delegates can decide on requests. "
    "I've noted the attempt; nothing was changed."
)


async def logged(route: Route[Any], event: MessageEvent, ctx: Context, call_next: Next) -> None:
    log.debug(
        "Message by %s in workspace %s goes to %s",
        event.sender.user_id,
        ctx.workspace.id,
        route.name,
    )
    await call_next()


async def authorised(route: Route[Any], event: MessageEvent, ctx: Context, call_next: Next) -> None:
    if ctx.actor.role in route.roles:
        await call_next()
        return
    text = ctx.tr.t(ONLY_FOR, who=role_names(ctx.tr, route.roles))
    await refuse(ctx, event, action=route.name, target=None, roles=route.roles, text=text)


# Outermost first.
MIDDLEWARE: tuple[Middleware, ...] = (logged, authorised)


async def run_route(route: Route[F], found: F, event: MessageEvent, ctx: Context) -> None:
    """The route's handler, behind the middleware."""

    async def handler() -> None:
        await route.handler(event, ctx, found)

    call: Next = handler
    for middleware in reversed(MIDDLEWARE):
        call = partial(middleware, route, event, ctx, call)
    await call()


async def run_action(registration: Registration, event: ActionEvent, ctx: Context) -> None:
    """A button's handler, for the PO and delegates only unless it was registered for anyone."""
    roles = DECIDERS if registration.deciders_only else EVERYONE
    if ctx.actor.role not in roles:
        text = ctx.tr.t(ONLY_DECIDERS)
        await refuse(ctx, event, action=event.action_id, target=event.value, roles=roles, text=text)
        return
    await registration.handler(event, ctx)


async def refuse(
    ctx: Context,
    event: InboundEvent,
    *,
    action: str,
    target: str | None,
    roles: frozenset[Role],
    text: str,
) -> None:
    log.warning(
        "Refused %s on %r by %s in workspace %s",
        action,
        target,
        event.sender.user_id,
        ctx.workspace.id,
    )
    await audit_refusal(ctx, action, target, refusal_reason(roles))
    await outbox.answer(ctx, event, text)


def refusal_reason(roles: frozenset[Role]) -> str:
    if roles == DECIDERS:
        return "not a decider"
    return "only for " + ", ".join(role.value for role in Role if role in roles)


def role_names(tr: Translator, roles: Iterable[Role]) -> str:
    """ "the PO and their delegates", in the reader's language."""
    allowed = set(roles)
    names = [tr.t(ROLE_NAMES[role]) for role in Role if role in allowed]
    return format_list(names, locale=tr.language)
