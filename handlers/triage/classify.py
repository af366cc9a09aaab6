"""The request's type and urgency: generic cue rules first, the embedding where they are silent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from handlers.triage import cues
from handlers.triage import messages as m
from handlers.triage.types import Reason


@dataclass(frozen=True)
class Classification:
    type: str
    urgent: bool
    reasons: tuple[Reason, ...]


def classify(text: str, parts: Sequence[str], scores: Mapping[str, float]) -> Classification:
    """Type and urgency of a (normalised, non-empty) request; ``scores`` from the prototypes."""
    reported = " ".join(
        without_conditions(part) for part in parts if not cues.find(cues.CHANGE, part)
    )
    incident = incident_reason(reported)
    if incident:
        return Classification("incident", True, (incident, Reason(m.URGENT)))
    kind, reason = _non_incident(text, parts, scores)
    return Classification(kind, False, (reason, Reason(m.NOT_URGENT)))


def incident_reason(text: str) -> Reason | None:
    """Why this is an incident: an outage or security signal, or a failure that hits many
    people or cannot wait. None when nothing says so. Sentences asking for something to be
    built are left out by the caller."""
    for patterns, msgid in ((cues.OUTAGE, m.OUTAGE), (cues.SECURITY, m.SECURITY)):
        cue = cues.find(patterns, text)
        if cue:
            return Reason(msgid, {"cue": cue})
    failure = cues.find(cues.FAILURE, text)
    if not failure:
        return None
    for patterns, msgid in (
        (cues.BREADTH, m.FAILURE_BREADTH),
        (cues.TIME_PRESSURE, m.FAILURE_TIME),
    ):
        cue = cues.find(patterns, text)
        if cue:
            return Reason(msgid, {"failure": failure, "cue": cue})
    return None


def question_reason(parts: Sequence[str]) -> Reason | None:
    """Why this asks for information: an information phrase, or a sentence that opens with a
    question word and ends in "?" (but not "is it possible to ...", which asks for a change)."""
    cue = cues.find_in(cues.INFO_REQUEST, parts)
    if cue:
        return Reason(m.INFO_REQUEST, {"cue": cue})
    for part in parts:
        match = cues.QUESTION_START.match(part)
        if match and part.rstrip().endswith("?") and not cues.POSSIBLE_CHANGE.search(part):
            return Reason(m.QUESTION_FORM, {"cue": cues.quote(part, 6)})
    return None


def _non_incident(
    text: str, parts: Sequence[str], scores: Mapping[str, float]
) -> tuple[str, Reason]:
    asked = without_why(parts)
    failure = cues.find(cues.FAILURE, asked) or cues.find(cues.STRONG_DEFECT, asked)
    question = question_reason(parts)
    if question and not failure:
        return "question", question
    defect = failure or cues.find(cues.DEFECT, asked)
    request = cues.find_in(cues.REQUEST, parts)
    if defect and (not request or failure):
        return "bug", Reason(m.DEFECT, {"cue": defect})
    if request:
        return "feature", Reason(m.REQUEST, {"cue": request})
    return _nearest(scores, ("bug", "feature"))


def without_why(parts: Sequence[str]) -> str:
    """The sentences cut where a reason starts: in "add X, because Y no longer works" the
    failure is the motive for a feature, not the thing reported."""
    kept = []
    for part in parts:
        match = cues.first_match(cues.BENEFIT, part)
        kept.append(part[: match.start()] if match and match.start() > 0 else part)
    return without_conditions(" ".join(kept))


def without_conditions(text: str) -> str:
    """The text without "if/when ..., " clauses: a failure there may happen, it did not."""
    return cues.CONDITION.sub(" ", text)


def _nearest(scores: Mapping[str, float], kinds: Sequence[str]) -> tuple[str, Reason]:
    ranked = sorted(kinds, key=lambda kind: scores[kind], reverse=True)
    best, other = ranked[0], ranked[1]
    params = {
        "type": best,
        "score": f"{scores[best]:.2f}",
        "other": other,
        "other_score": f"{scores[other]:.2f}",
    }
    return best, Reason(m.NEAREST_TYPE, params)
