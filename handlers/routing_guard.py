"""The middleware around the handlers of what a person types or clicks: who may use a route or a
button is checked here, in one place, and a refusal is answered politely, logged and audited."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from babel.lists import format_list

from bot.kernel.events import ActionEvent, InboundEvent, MessageEvent
from bot.kernel.i18n import N_, Translator
from handlers import outbox
from handlers.audit import audit_refusal
from handlers.context import Context
from handlers.registry import Refusal, Registration
from handlers.routing import DECIDER_ROLES, Route
from storage.models import Role

log = logging.getLogger(__name__)
F = TypeVar("F")

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
UNKNOWN_BUTTON = N_("I don't know that button (any more); nothing was changed.")


@dataclass(frozen=True)
class Gate:
    """Who gets past; anyone else hears the text (a msgid, in which {who} names the roles let
    through), and the audit gives the reason and the target."""

    roles: frozenset[Role]
    text: str
    reason: str
    target: str | None


@dataclass(frozen=True)
class Entry:
    """What a person uses, as the middleware sees it: a route typed or a button clicked."""

    kind: str  # "Message" or "Click", for the log
    name: str  # the route's name or the button's action id
    gates: tuple[Gate, ...]  # tried in turn; the first that does not let the person past refuses


Next = Callable[[], Awaitable[None]]
Middleware = Callable[[Entry, InboundEvent, Context, Next], Awaitable[None]]


async def logged(entry: Entry, event: InboundEvent, ctx: Context, call_next: Next) -> None:
    """Names what the event went to, for the log's line about it (unless the handler says more)."""
    log.debug(
        "%s by %s in workspace %s goes to %s",
        entry.kind,
        event.sender.user_id,
        ctx.workspace.id,
        entry.name,
    )
    await call_next()
    if not ctx.outcome:
        ctx.outcome = entry.name if entry.kind == "Message" else f"{entry.name} clicked"


async def authorised(entry: Entry, event: InboundEvent, ctx: Context, call_next: Next) -> None:
    for gate in entry.gates:
        if ctx.actor.role not in gate.roles:
            text = ctx.tr.t(gate.text, who=role_names(ctx.tr, gate.roles))
            await refuse(
                ctx, event, action=entry.name, target=gate.target, reason=gate.reason, text=text
            )
            return
    await call_next()


# Outermost first.
MIDDLEWARE: tuple[Middleware, ...] = (logged, authorised)


async def run(entry: Entry, event: InboundEvent, ctx: Context, handler: Next) -> None:
    """The handler, behind the middleware."""
    call: Next = handler
    for middleware in reversed(MIDDLEWARE):
        call = partial(middleware, entry, event, ctx, call)
    await call()


async def run_route(route: Route[F], found: F, event: MessageEvent, ctx: Context) -> None:
    """The route's handler, for the roles of the route."""

    async def handler() -> None:
        await route.handler(event, ctx, found)

    gate = Gate(route.roles, ONLY_FOR, refusal_reason(route.roles), target=None)
    await run(Entry("Message", route.name, (gate,)), event, ctx, handler)


async def run_action(registration: Registration, event: ActionEvent, ctx: Context) -> None:
    """A button's handler, for the roles it was registered for."""

    async def handler() -> None:
        await registration.handler(event, ctx)

    entry = Entry("Click", event.action_id, action_gates(registration, event))
    await run(entry, event, ctx, handler)


DECIDERS_REFUSAL = Refusal(ONLY_DECIDERS, "not a decider")


def action_gates(registration: Registration, event: ActionEvent) -> tuple[Gate, ...]:
    """A button for some of the deciders only (the PO's) is still a deciders' button to anyone
    else: they hear what every decision button says; a decider it is not for hears its own
    refusal."""
    deciders = frozenset(DECIDER_ROLES)
    roles = registration.roles
    own = registration.refusal or (
        DECIDERS_REFUSAL if roles == deciders else Refusal(ONLY_FOR, refusal_reason(roles))
    )
    first = (action_gate(deciders, DECIDERS_REFUSAL, event),) if roles < deciders else ()
    return (*first, action_gate(roles, own, event))


def action_gate(roles: frozenset[Role], refusal: Refusal, event: ActionEvent) -> Gate:
    target = event.input if refusal.target == "input" else event.value
    return Gate(roles, refusal.text, refusal.reason, target)


async def refuse_unknown_action(event: ActionEvent, ctx: Context) -> None:
    """A click on a button no handler is registered for (forged, or from an old message)."""
    await refuse(
        ctx,
        event,
        action=event.action_id,
        target=event.value,
        reason="unknown action",
        text=ctx.tr.t(UNKNOWN_BUTTON),
    )


async def refuse(
    ctx: Context,
    event: InboundEvent,
    *,
    action: str,
    target: str | None,
    reason: str,
    text: str,
) -> None:
    log.warning(
        "Refused %s on %r by %s in workspace %s: %s",
        action,
        target,
        event.sender.user_id,
        ctx.workspace.id,
        reason,
    )
    await audit_refusal(ctx, action, target, reason)
    await outbox.answer(ctx, event, text)
    ctx.outcome = f"{action} refused: {reason}"


def refusal_reason(roles: frozenset[Role]) -> str:
    if roles == frozenset(DECIDER_ROLES):
        return "not a decider"
    return "only for " + ", ".join(role.value for role in Role if role in roles)


def role_names(tr: Translator, roles: Iterable[Role]) -> str:
    """ "the PO and their delegates", in the reader's language."""
    allowed = set(roles)
    names = [tr.t(ROLE_NAMES[role]) for role in Role if role in allowed]
    return format_list(names, locale=tr.language)
