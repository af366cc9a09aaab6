"""Finding the earlier request a new one repeats, across Dutch and English.

The score is the cosine similarity of the two embeddings, damped for very short texts ("Can
we add a button?" resembles every other short request and says too little to be sure), and
lowered for a candidate the triage reads as another type of request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from handlers.triage.embedding import Matrix

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
    result: Matrix = (others @ vector) * length_factor(words, other_words)
    return result


def best(
    vector: Matrix,
    words: int,
    others: Matrix,
    other_words: Sequence[int],
    same_type: Callable[[int], bool],
    *,
    shortlist: int = 5,
) -> Match | None:
    """The best earlier item after the type penalty; only the closest few are typed."""
    if len(others) == 0 or not np.any(vector):
        return None
    scores = similarities(vector, words, others, other_words)
    if len(scores) > shortlist:  # the closest few, without sorting them all
        top = np.argpartition(scores, len(scores) - shortlist)[-shortlist:]
    else:
        top = np.arange(len(scores))
    top = top[np.argsort(-scores[top], kind="stable")]
    ranked = [
        Match(int(i), float(scores[i]) - (0.0 if same_type(int(i)) else OTHER_TYPE_PENALTY))
        for i in top
    ]
    return max(ranked, key=lambda match: match.score)
