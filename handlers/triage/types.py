"""The values the triage engine takes and gives: candidates, labels, reasons and results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

TYPES = ("incident", "bug", "feature", "question")


class TriageInputError(ValueError):
    """A request that cannot be triaged as given; carries what was wrong and where."""

    def __init__(self, problem: str, *, position: int | None = None) -> None:
        where = f"record {position}: " if position is not None else ""
        super().__init__(f"{where}{problem}")
        self.problem = problem
        self.position = position


@dataclass(frozen=True)
class Reason:
    """Why a decision was made: a gettext-style English message id and its values."""

    msgid: str
    params: dict[str, str] = field(default_factory=dict)

    def render(self) -> str:
        return self.msgid.format(**self.params)


@dataclass(frozen=True)
class Candidate:
    """An earlier, still-open backlog item to compare a new request against.

    ``vector`` is its stored embedding, made by ``model``; one made by another model is
    computed again. ``type`` and ``urgent`` are what it was triaged (or corrected) as."""

    id: str
    text: str
    vector: Sequence[float] | None = None
    model: str | None = None
    type: str | None = None
    urgent: bool | None = None


@dataclass(frozen=True)
class CandidatePool:
    """Earlier items as one matrix, all embedded by ``model``: what a new request is compared
    with. Built from a list of candidates, or kept up to date per workspace (the index)."""

    ids: Sequence[str]
    matrix: Any  # float32, one row per item
    words: Any  # int, the length of each item's text in words
    types: Sequence[str | None]
    urgent: Sequence[bool | None]
    titles: Sequence[str]
    model: str

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Label:
    """A workspace's own labelled example: a request the PO corrected, with its embedding."""

    text: str
    vector: Sequence[float]
    type: str
    urgent: bool


@dataclass(frozen=True)
class Check:
    """The one question the stakeholder is asked: is it urgent, or is it the same as `of`?"""

    kind: Literal["urgency", "duplicate"]
    of: str | None = None

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind} if self.of is None else {"kind": self.kind, "of": self.of}


@dataclass(frozen=True)
class Confidence:
    """How sure the triage is: the chosen type's probability, the urgency probability, and the
    closest earlier item's similarity (None without one)."""

    type: float
    urgent: float
    duplicate: float | None = None

    def as_json(self) -> dict[str, float | None]:
        return {
            "type": round(self.type, 3),
            "urgent": round(self.urgent, 3),
            "duplicate": None if self.duplicate is None else round(self.duplicate, 3),
        }


@dataclass(frozen=True)
class TriageResult:
    type: str
    urgent: bool
    duplicate_of: str | None
    duplicate_score: float | None
    needs_info: bool
    reasons: tuple[Reason, ...]
    # The embedding compared with later requests, and the model that made it.
    vector: tuple[float, ...]
    title: str
    check: Check | None = None
    confidence: Confidence = Confidence(0.0, 0.0)
    vector_model: str = ""
