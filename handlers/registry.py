"""Handlers registered declaratively, keyed by action id; authorisation declared alongside."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.kernel.events import ActionEvent
from handlers.context import Context

ActionHandler = Callable[[ActionEvent, Context], Awaitable[None]]
A = TypeVar("A", bound=ActionHandler)


@dataclass(frozen=True)
class Registration:
    handler: ActionHandler
    deciders_only: bool


ACTIONS: dict[str, Registration] = {}


def on_action(*action_ids: str, deciders_only: bool = True) -> Callable[[A], A]:
    """Register a click handler; by default only the PO and delegates may click it."""

    def register(handler: A) -> A:
        for action_id in action_ids:
            if action_id in ACTIONS:
                raise ValueError(f"two handlers for action {action_id!r}")
            ACTIONS[action_id] = Registration(handler, deciders_only)
        return handler

    return register
