"""The neutral port to the trackers where a team's backlog lives (Jira, Azure DevOps Boards,
GitHub Issues, Linear): what handlers and the runtime ask of one, never its API.

Each tracker is an adapter under adapters/trackers/; it is built from a workspace's
``TrackerSettings`` and the credentials in the environment, never from the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from bot.kernel.errors import HeatshieldError
from bot.kernel.events import TrackerState

KINDS = ("jira", "azure-devops", "github", "linear")
# Where a tracker's API is when none is given (Jira and Azure DevOps have a site per team).
DEFAULT_URLS = {"github": "https://api.github.com", "linear": "https://api.linear.app/graphql"}


@dataclass(frozen=True)
class TrackerSettings:
    """Where a workspace's backlog lives. Secrets (tokens) are not here: they come from the
    environment; the webhook secret is kept to verify deliveries and never shown."""

    kind: str
    url: str
    project: str | None = None  # Jira project key, Azure DevOps project
    repo: str | None = None  # GitHub owner/name
    team: str | None = None  # Linear team key
    issue_type: str | None = None  # Jira issue type, Azure DevOps work item type
    position_field: str | None = None  # the field that carries the position, where it is one
    webhook_secret: str | None = None

    @property
    def place(self) -> str:
        """The project, repository or team, as its people name it."""
        return self.project or self.repo or self.team or ""


@dataclass(frozen=True)
class NewTrackerItem:
    """An approved request, as the tracker gets it."""

    title: str
    text: str
    stakeholder: str
    type: str  # the triage's type: incident, bug, feature, question
    link: str  # back to the request in Heatshield
    top: bool  # at the top of the backlog, else at the bottom


STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "could",
        "for",
        "from",
        "get",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "please",
        "should",
        "so",
        "that",
        "the",
        "their",
        "there",
        "this",
        "to",
        "us",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "de",
        "het",
        "een",
        "en",
        "van",
        "op",
        "te",
        "dat",
        "die",
        "is",
        "in",
        "voor",
        "met",
        "niet",
        "zijn",
        "maar",
        "ook",
        "als",
        "bij",
        "nog",
        "wel",
        "kan",
        "kunnen",
        "graag",
        "we",
        "wij",
        "ons",
        "onze",
        "je",
        "jij",
        "uw",
        "aan",
        "er",
        "om",
    ]
)


def search_terms(text: str, most: int = 3) -> str:
    """A request's most telling words for a tracker's text search (which mostly wants them
    all): letters and digits only, no stop words, the longest first, at most ``most``."""
    words = [w for w in re.findall(r"[^\W_]+", text.lower()) if w not in STOPWORDS and len(w) > 2]
    longest = sorted(dict.fromkeys(words), key=len, reverse=True)[:most]
    return " ".join(w for w in dict.fromkeys(words) if w in longest)


def same_words(one: str, other: str) -> bool:
    """Whether two texts say the same, however the tracker spaced or wrapped them."""
    return one.split() == other.split()


@dataclass(frozen=True)
class TrackerRef:
    """An item in the tracker: its key as people say it ("APP-123", "acme/shop#12") and link."""

    key: str
    url: str


@dataclass(frozen=True)
class TrackerMatch:
    """An open item the tracker's search found: maybe what a new request asks for already."""

    key: str
    url: str
    title: str


class TrackerRefusedError(HeatshieldError):
    """The tracker refused for good (a required field, a missing permission): said in plain
    words for the PO; the request is kept, and trying again will not help."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class Tracker(Protocol):
    """One workspace's tracker. Failures that may pass (an outage, a 429, a time-out) raise
    RetryLaterError; a refusal for good raises TrackerRefusedError."""

    async def check(self) -> str:
        """Whether the settings and credentials work: "connected to GitHub repository
        acme/shop as octocat"."""
        ...

    async def create(self, item: NewTrackerItem) -> TrackerRef: ...

    async def find(self, link: str) -> TrackerRef | None:
        """The item whose text holds this (the link in its brackets, as a create writes it),
        when that create's answer was lost
        (a time-out): looked for before creating again, so nothing is made twice."""
        ...

    async def link(self, key: str) -> TrackerRef | None:
        """The item the tracker has under this key (as people type it: "APP-123",
        "acme/shop#12" or "#12"), to merge a request into; None when it has none."""
        ...

    async def comment(self, key: str, text: str) -> None:
        """Add a comment to the item (the stakeholder's reply, passed on)."""
        ...

    async def has_comment(self, key: str, text: str) -> bool:
        """Whether the item's latest comments hold this one (compared without markup and
        spacing), when an earlier ``comment``'s answer was lost (a time-out): looked for
        before commenting again, so the stakeholder's reply is not posted twice."""
        ...

    async def search(self, words: str, limit: int = 5) -> list[TrackerMatch]:
        """The open items (not done, not dropped) that the tracker's own search finds for
        these words, best first: what a new request may repeat."""
        ...

    async def state(self, key: str) -> TrackerState | None:
        """Where the item stands now (for the reconcile that catches missed webhooks); None
        when the tracker has no such item any more."""
        ...

    async def close(self) -> None: ...
