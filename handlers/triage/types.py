"""The values the triage engine takes and gives: candidates, reasons and results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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
    """An earlier, still-open backlog item to compare a new request against."""

    id: str
    text: str
    vector: Sequence[float] | None = None


@dataclass(frozen=True)
class TriageResult:
    type: str
    urgent: bool
    duplicate_of: str | None
    duplicate_score: float | None
    needs_info: bool
    reasons: tuple[Reason, ...]
    vector: tuple[float, ...]
    title: str
