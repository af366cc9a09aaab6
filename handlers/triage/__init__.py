"""Explainable triage of a stakeholder's request: type, urgency, duplicate, missing "why".

Usage::

    result = default_triager().triage(text, earlier=[Candidate(id, text, vector), ...])

The first call loads the multilingual sentence encoder (about a second); later calls take a
few milliseconds. ``triage_batch`` is the dry run behind ``heatshield triage FILE.jsonl``.
"""

from handlers.triage.batch import triage_batch
from handlers.triage.triager import Triager, default_triager
from handlers.triage.types import TYPES, Candidate, Reason, TriageInputError, TriageResult

__all__ = [
    "TYPES",
    "Candidate",
    "Reason",
    "TriageInputError",
    "TriageResult",
    "Triager",
    "default_triager",
    "triage_batch",
]
