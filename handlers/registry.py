"""Handlers registered declaratively, keyed by action id; who may click declared alongside.

The middleware in handlers/routing_guard.py checks the role and audits a refusal, for buttons as
for what is typed, so that no handler checks roles itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar

from bot.kernel.events import ActionEvent
from handlers.context import Context
from handlers.routing import DECIDER_ROLES
from storage.models import Role

ActionHandler = Callable[[ActionEvent, Context], Awaitable[None]]
A = TypeVar("A", bound=ActionHandler)


@dataclass(frozen=True)
class Refusal:
    """What someone a button is not for hears (a msgid), and what the audit of it says."""

    text: str
    reason: str
    # What of the click the audit names: the button's value, or what was typed alongside it.
    target: Literal["value", "input"] = "value"


@dataclass(frozen=True)
class Registration:
    handler: ActionHandler
    roles: frozenset[Role]
    # None: the refusal the middleware gives for these roles.
    refusal: Refusal | None = None


ACTIONS: dict[str, Registration] = {}


def on_action(
    *action_ids: str,
    roles: Iterable[Role] = DECIDER_ROLES,
    refusal: Refusal | None = None,
) -> Callable[[A], A]:
    """Register a click handler; by default only the PO and delegates may click it
    (``roles=EVERYONE``: anyone may)."""
    allowed = frozenset(roles)

    def register(handler: A) -> A:
        for action_id in action_ids:
            if action_id in ACTIONS:
                raise ValueError(f"two handlers for action {action_id!r}")
            ACTIONS[action_id] = Registration(handler, allowed, refusal)
        return handler

    return register
