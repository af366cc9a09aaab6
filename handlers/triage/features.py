"""What the learned model reads of a request: its embeddings, the generic signals, its shape.

Two embeddings: of the whole text, and the mean of its sentences' embeddings (a long message
that buries its ask in the fourth sentence reads differently sentence by sentence).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from handlers.triage import signals, text
from handlers.triage.embedding import Embedder, Matrix, normalised

# Sentences beyond these are left out of the mean: a pasted log must not cost a second.
MAX_SENTENCES = 12

SHAPE_NAMES = ("capitals", "words")
NAMES = (*signals.NAMES, *SHAPE_NAMES)
# How the closest labelled examples (of other domains, in training) vote: a share per type and
# the urgent share, weighted by similarity.
NEIGHBOURS = 10
VOTE_NAMES = ("votes-incident", "votes-bug", "votes-feature", "votes-question", "votes-urgent")


def extra_features(request: str) -> list[float]:
    """The signals (1 or 0) and two numbers on the text's shape, for one normalised text."""
    parts = text.sentences(request)
    found = signals.fired(request, parts)
    flags = [1.0 if name in found else 0.0 for name in signals.NAMES]
    letters = [c for c in request if c.isalpha()]
    capitals = sum(c.isupper() for c in letters) / len(letters) if letters else 0.0
    words = math.log1p(len(text.words(request))) / math.log1p(200)
    return [*flags, capitals, min(words, 1.0)]


def embed(embedder: Embedder, requests: Sequence[str]) -> tuple[Matrix, Matrix]:
    """The whole-text embeddings and the sentence means of (normalised) requests, in one
    batch; a one-sentence request's mean is its own embedding."""
    batch = list(requests)
    spans: list[tuple[int, int]] = []
    for request in requests:
        parts = text.sentences(request)[:MAX_SENTENCES]
        if len(parts) > 1:
            spans.append((len(batch), len(batch) + len(parts)))
            batch.extend(parts)
        else:
            spans.append((0, 0))
    rows = embedder.embed(batch)
    whole = rows[: len(requests)]
    pooled = whole.copy()
    for index, (start, end) in enumerate(spans):
        if end > start:
            pooled[index] = normalised(rows[start:end].mean(axis=0, keepdims=True))[0]
    return whole, pooled


def feature_matrix(
    requests: Sequence[str], vectors: Matrix, sentences: Matrix, votes: Matrix
) -> Matrix:
    """One row per request: its two embeddings, the extra features and the examples' votes."""
    extras = np.asarray([extra_features(r) for r in requests], dtype=np.float32)
    extras = extras.reshape(len(requests), len(NAMES))
    result: Matrix = np.hstack(
        [vectors.astype(np.float32), sentences.astype(np.float32), extras, votes]
    ).astype(np.float32)
    return result


def votes(
    vectors: Matrix,
    pool: Matrix,
    kinds: Sequence[int],
    urgent: Sequence[bool],
    allowed: Matrix | None = None,
) -> Matrix:
    """Per request, how its NEIGHBOURS closest examples of the pool vote; ``allowed`` (one row
    per request, one column per example) leaves examples out, as training leaves out the
    request's own domain."""
    out = np.zeros((len(vectors), len(VOTE_NAMES)), np.float32)
    if len(pool) == 0:
        return out
    similarity = vectors @ pool.T
    if allowed is not None:
        similarity = np.where(allowed, similarity, -2.0)
    k = min(NEIGHBOURS, pool.shape[0])
    nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    kind = np.asarray(kinds)[nearest]
    weight = np.maximum(np.take_along_axis(similarity, nearest, axis=1), 0.0) + 1e-6
    total = weight.sum(axis=1)
    for column in range(4):
        out[:, column] = (weight * (kind == column)).sum(axis=1) / total
    out[:, 4] = (weight * np.asarray(urgent, dtype=np.float32)[nearest]).sum(axis=1) / total
    return out
