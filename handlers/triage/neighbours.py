"""A workspace's own labelled examples weigh in on new requests that resemble them.

When the PO corrects a triage, the request becomes an example of its workspace. A new request
close to such examples takes part of its type and urgency from them, the more the closer and the
more of them there are, so the triage learns a team's own words without retraining. The
constants follow what the similarities mean (below 0.5 two requests share little more than a
domain; from 0.7 they say much the same thing), checked on the development domains' streams.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from handlers.triage.embedding import Matrix
from handlers.triage.types import TYPES, Label

FLOOR = 0.5  # similarity below which an example says nothing about a request
PRIOR = 0.5  # how much evidence the model's own view counts for
MOST = 0.9  # the examples never outweigh the model completely


@dataclass(frozen=True)
class Vote:
    """The examples' say: their share in the blend, and what they vote for."""

    weight: float
    types: Matrix
    urgent: float
    nearest: Label | None


def vote(labels: Sequence[Label], vector: Matrix) -> Vote | None:
    """How the workspace's examples see a request; None when none is close enough."""
    if not labels or not np.any(vector):
        return None
    matrix = np.asarray([label.vector for label in labels], dtype=np.float32)
    similarity = matrix @ vector
    weights = np.clip((similarity - FLOOR) / (1.0 - FLOOR), 0.0, None)
    total = float(weights.sum())
    if total <= 0.0:
        return None
    types = np.zeros(len(TYPES), np.float32)
    for label, weight in zip(labels, weights, strict=True):
        types[TYPES.index(label.type)] += weight
    urgent = sum(w for label, w in zip(labels, weights, strict=True) if label.urgent) / total
    return Vote(
        weight=min(MOST, total / (total + PRIOR)),
        types=types / total,
        urgent=float(urgent),
        nearest=labels[int(np.argmax(similarity))],
    )


def blend(model: Matrix, urgent: float, team: Vote | None) -> tuple[Matrix, float]:
    """The type probabilities and urgency after the examples' vote."""
    if team is None:
        return model, urgent
    mixed: Matrix = ((1 - team.weight) * model + team.weight * team.types).astype(np.float32)
    return mixed, (1 - team.weight) * urgent + team.weight * team.urgent
