"""One router for everything a person types.

Each route is registered (with ``@route``, next to its handler) with its name, what it
recognises (its words in English and Dutch, or a matcher for what is no phrase, such as the
answer to an open prompt), the roles it is for, its lines in ``help`` and its handler. ``ORDER``
is the one table that says in which order a message is tried. handlers/messages.py walks it;
the middleware in handlers/routing_guard.py checks the role and audits a refusal, so that no
handler checks roles itself.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.kernel.events import MessageEvent
from handlers.context import Context
from handlers.triage import TriageResult
from storage.models import Role

F = TypeVar("F")

DECIDER_ROLES = (Role.PO, Role.DELEGATE)
EVERYONE = frozenset(Role)

# The order in which a message is tried; the first route that matches takes it.
ORDER = (
    "forward",  # a team member passes on someone else's message: its words are no command
    "empty",  # nothing to read: a hint how to send a request
    # Commands: the whole message is the command's phrase.
    "help",
    "status",
    "backlog",
    "queue",
    "merge into",  # "merge #12 into APP-123": the same as an item in the team's tracker
    "tracker reply",  # "re APP-123: ...": a stakeholder's answer to a note from the team
    "tracker",  # "tracker github acme/shop": the PO sets where approved requests go
    # Coaching and one's own rhythm: the message starts with the command's words.
    "shares",
    "quiet hours",
    "working days",
    "coaching",
    "too long",  # longer than a request may be
    "small talk",  # hello, thanks, ok, bye: a friendly word back, never a request or an answer
    "tracker thread reply",  # a reply in the thread of a note from the team: an answer on it
    "prompt answer",  # the answer to the bot's open coaching question (direct messages)
    "question answer",  # the answer to the triage's question to the stakeholder, if it can wait
    "new request",  # everything else
)


@dataclass
class Incoming:
    """A message on its way through the routes, with what they have worked out about it."""

    event: MessageEvent
    text: str
    # Triaged at most once: whether a message can wait (and so answers an open question) is
    # read from the same triage the new request is then stored with.
    triaged: TriageResult | None = None


Matcher = Callable[[Incoming, Context], Awaitable[F | None]]
Handler = Callable[[MessageEvent, Context, F], Awaitable[None]]


@dataclass(frozen=True)
class Route(Generic[F]):
    name: str
    # What the route found in the message (the words after a command, the open prompt, ...),
    # handed to the handler; None when the message is not for this route.
    match: Matcher[F]
    handler: Handler[F]
    roles: frozenset[Role] = EVERYONE
    help: tuple[str, ...] = ()  # msgids, each one line of `help`
    shown_to: frozenset[Role] = EVERYONE  # whose `help` lists it
    # False: for anyone else the words are no command but ordinary words of a request
    # ("Coaching videos would help"), and the next route is tried instead of refusing.
    refuse_others: bool = True

    def ignores(self, role: str) -> bool:
        return not self.refuse_others and role not in self.roles


ROUTES: dict[str, Route[Any]] = {}


def route(
    name: str,
    match: Matcher[F],
    *,
    roles: Iterable[Role] = EVERYONE,
    help: Sequence[str] = (),
    shown_to: Iterable[Role] | None = None,
    refuse_others: bool = True,
) -> Callable[[Handler[F]], Handler[F]]:
    """Register what a person may type; its place in the order is its name's place in ORDER."""
    if name not in ORDER:
        raise ValueError(f"route {name!r} has no place in ORDER")
    allowed = frozenset(roles)

    def register(handler: Handler[F]) -> Handler[F]:
        if name in ROUTES:
            raise ValueError(f"two routes named {name!r}")
        ROUTES[name] = Route(
            name=name,
            match=match,
            handler=handler,
            roles=allowed,
            help=tuple(help),
            shown_to=allowed if shown_to is None else frozenset(shown_to),
            refuse_others=refuse_others,
        )
        return handler

    return register


def routes_in_order() -> list[Route[Any]]:
    missing = [name for name in ORDER if name not in ROUTES]
    if missing:
        raise LookupError(f"routes in ORDER without a handler: {', '.join(missing)}")
    return [ROUTES[name] for name in ORDER]


def help_lines(role: str) -> list[str]:
    """The msgids of the help lines a person in this role sees, in ORDER."""
    return [line for r in routes_in_order() if role in r.shown_to for line in r.help]


def normalise(text: str) -> str:
    return re.sub(r"[^\w ]+", "", text.lower()).strip()


@dataclass(frozen=True)
class Phrases:
    """A command that is the whole message: one of these phrases, case and punctuation aside.
    Both languages' phrases work for everyone."""

    en: tuple[str, ...]
    nl: tuple[str, ...] = ()

    async def __call__(self, incoming: Incoming, ctx: Context) -> str | None:
        return "" if normalise(incoming.text) in (*self.en, *self.nl) else None


@dataclass(frozen=True)
class Patterns:
    """A command that starts the message: what follows (the group ``rest``) is its argument."""

    en: tuple[re.Pattern[str], ...]
    nl: tuple[re.Pattern[str], ...] = ()
    # Only when the argument really is one ("quiet hours should be configurable" is a request).
    accepts: Callable[[str], bool] | None = None

    async def __call__(self, incoming: Incoming, ctx: Context) -> str | None:
        for pattern in (*self.en, *self.nl):
            found = pattern.match(incoming.text)
            if found is not None:
                rest = found.groupdict().get("rest") or ""
                return rest if self.accepts is None or self.accepts(rest) else None
        return None


def leading(words: str) -> re.Pattern[str]:
    """ "shares Finance=30", "shares: Finance=30": the words, then an argument."""
    return re.compile(rf"^\s*{words}\s*:?\s+(?P<rest>.+)$", re.IGNORECASE)
