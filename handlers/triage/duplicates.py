"""Finding the earlier request a new one repeats, across Dutch and English.

The score is the cosine similarity of the two embeddings, damped for very short texts: "Can
we add a button?" resembles every other short request, and says too little to be sure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from handlers.triage.model import Matrix

THRESHOLD = 0.48
SHORT_WORDS = 8
OTHER_TYPE_PENALTY = 0.10


@dataclass(frozen=True)
class Match:
    index: int
    score: float


def length_factor(words: int, other_words: Sequence[int]) -> Matrix:
    """Per candidate, sqrt(shorter text's words / SHORT_WORDS), at most 1."""
    shorter = np.minimum(words, np.asarray(other_words, dtype=np.float32))
    return np.minimum(1.0, np.sqrt(shorter / SHORT_WORDS)).astype(np.float32)


def similarities(vector: Matrix, words: int, others: Matrix, other_words: Sequence[int]) -> Matrix:
    """Per earlier item, the cosine similarity damped for short texts."""
    return (others @ vector) * length_factor(words, other_words)


def closest(
    scores: Matrix,
    same_type: Callable[[int], bool],
    threshold: float = THRESHOLD,
    penalty: float = OTHER_TYPE_PENALTY,
) -> Match | None:
    """The best earlier item; items of another type than the request lose ``penalty``.

    Only items that could reach the threshold are typed, so this stays cheap for long lists.
    """
    if len(scores) == 0:
        return None
    best = Match(int(np.argmax(scores)), float(np.max(scores)))
    if best.score < threshold:
        return best
    ranked = [Match(int(i), float(scores[i])) for i in np.argsort(-scores)]
    adjusted = [
        Match(m.index, m.score if same_type(m.index) else m.score - penalty)
        for m in ranked
        if m.score >= threshold
    ]
    return max(adjusted, key=lambda m: m.score)
