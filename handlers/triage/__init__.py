"""Triage of a stakeholder's request: type, urgency, duplicate, missing "why", and whether to ask.

Usage::

    triager = default_triager()
    triager.load()  # the model file and the encoder, at start-up
    result = triager.triage(text, earlier=[Candidate(id, text, vector, model), ...])

A learned model (model.py, trained from the corpus by training.py) over the multilingual
sentence encoder's embeddings; ``triage_batch`` is the dry run behind ``heatshield triage FILE``.
"""

from handlers.triage.batch import summary, triage_batch
from handlers.triage.triager import Triager, Vectors, default_triager
from handlers.triage.types import (
    TYPES,
    Candidate,
    Check,
    Confidence,
    Label,
    Reason,
    TriageInputError,
    TriageResult,
)

__all__ = [
    "TYPES",
    "Candidate",
    "Check",
    "Confidence",
    "Label",
    "Reason",
    "TriageInputError",
    "TriageResult",
    "Triager",
    "Vectors",
    "default_triager",
    "summary",
    "triage_batch",
]
