"""Training the triage model from a labelled corpus of many domains.

Three logistic regressions (scikit-learn) over the features: the type, whether it is urgent,
and (for features) whether the "why" is missing. The thresholds where the triage is sure and
where it asks are chosen on out-of-domain predictions: each training domain is scored by heads
trained on the other domains, so the thresholds fit requests whose words the model never saw,
as a new team's will be.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from handlers.triage import duplicates, features, text
from handlers.triage.corpus import Record, duplicate_roots
from handlers.triage.embedding import BUILTIN_MODEL, Embedder, Matrix
from handlers.triage.model import FORMAT, Examples, Head, Thresholds, TriageModel
from handlers.triage.types import TYPES

log = logging.getLogger(__name__)

# The inverse regularisation strength of every head: chosen by cross-validation over the
# development domains (bench/triage_quality.py names them), never on the held-out ones.
REGULARISATION = 0.02
# What the thresholds aim for on requests from unseen domains.
URGENT_PRECISION = 0.90  # of the requests marked urgent without asking
URGENT_QUESTION_SHARE = 0.16  # of all requests, asked "is it blocking people now?"
# Duplicates are linked without asking where that is most often right (the best F1), as long
# as a wrong link stays rarer than a right one.
DUPLICATE_PRECISION = 0.5
QUESTION_SHARE = 0.19  # of all requests, asked either question (the budget allows 0.20)
TITLE_CHARS = 90


@dataclass(frozen=True)
class Heads:
    type: Head
    urgent: Head
    needs_info: Head


@dataclass(frozen=True)
class Predictions:
    """Per record: the probability of each type, of urgency and of a missing "why"."""

    types: Matrix
    urgent: Matrix
    needs_info: Matrix


def fit_heads(x: Matrix, records: Sequence[Record]) -> Heads:
    types = np.asarray([TYPES.index(r.type) for r in records])
    urgent = np.asarray([r.urgent for r in records], dtype=np.int64)
    wants = np.asarray([r.type == "feature" for r in records])
    info = np.asarray([r.needs_info for r in records], dtype=np.int64)
    return Heads(
        type=_fit(x, types, TYPES),
        urgent=_fit(x, urgent, ("no", "yes")),
        needs_info=_fit(x[wants], info[wants], ("no", "yes")),
    )


def _fit(x: Matrix, y: Any, classes: tuple[str, ...]) -> Head:
    """A standardised, balanced logistic regression, the scaling folded into the weights."""
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

    scaler = StandardScaler().fit(x)
    present = sorted(set(int(v) for v in y))
    if len(present) < 2:  # one class only: a constant head
        weights = np.zeros((1 if len(classes) == 2 else len(classes), x.shape[1]), np.float32)
        bias = np.full(weights.shape[0], 10.0 if present == [1] else -10.0, np.float32)
        return Head(weights, bias, classes)
    model = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=3000)
    model.fit(scaler.transform(x), y)
    coef: Any = np.asarray(model.coef_, dtype=np.float64)
    intercept: Any = np.asarray(model.intercept_, dtype=np.float64)
    if len(classes) > 2 and coef.shape[0] != len(classes):
        coef, intercept = _all_classes(coef, intercept, present, len(classes))
    scale = np.asarray(scaler.scale_, dtype=np.float64)
    mean = np.asarray(scaler.mean_, dtype=np.float64)
    weights = coef / scale
    bias = intercept - weights @ mean
    return Head(weights.astype(np.float32), bias.astype(np.float32), classes)


def _all_classes(coef: Any, intercept: Any, present: Sequence[int], count: int) -> tuple[Any, Any]:
    """Rows for classes the training data lacked, so that they are never predicted."""
    full = np.zeros((count, coef.shape[1]))
    bias = np.full(count, -1e3)
    for row, label in enumerate(present):
        full[label], bias[label] = coef[row], intercept[row]
    return full, bias


def predict(heads: Heads, x: Matrix) -> Predictions:
    return Predictions(
        types=heads.type.probabilities(x),
        urgent=heads.urgent.probabilities(x),
        needs_info=heads.needs_info.probabilities(x),
    )


def design(
    base: Matrix, vectors: Matrix, records: Sequence[Record], left_out: str | None = None
) -> Matrix:
    """The features of every record: the base ones and the votes of its closest examples
    among the other domains (and never of the domain ``left_out``, which is to be scored as
    unseen)."""
    domains = np.asarray([r.domain for r in records])
    allowed = domains[None, :] != domains[:, None]
    if left_out is not None:
        allowed &= (domains != left_out)[None, :]
    kinds = [TYPES.index(r.type) for r in records]
    votes = features.votes(vectors, vectors, kinds, [r.urgent for r in records], allowed)
    result: Matrix = np.hstack([base, votes]).astype(np.float32)
    return result


def out_of_domain(base: Matrix, vectors: Matrix, records: Sequence[Record]) -> Predictions:
    """Each domain's predictions from heads trained on every other domain."""
    domains = sorted({r.domain for r in records})
    types = np.zeros((len(records), len(TYPES)), np.float32)
    urgent = np.zeros(len(records), np.float32)
    info = np.zeros(len(records), np.float32)
    for domain in domains:
        x = design(base, vectors, records, left_out=domain)
        inside = np.asarray([r.domain == domain for r in records])
        train = [r for r, keep in zip(records, ~inside, strict=True) if keep]
        heads = fit_heads(x[~inside], train)
        got = predict(heads, x[inside])
        types[inside], urgent[inside], info[inside] = got.types, got.urgent, got.needs_info
    return Predictions(types, urgent, info)


def choose_thresholds(
    records: Sequence[Record], oof: Predictions, similarity: Matrix
) -> Thresholds:
    """Thresholds that meet the targets above on the out-of-domain predictions."""
    urgent = np.asarray([r.urgent for r in records])
    auto = _lowest_precise(oof.urgent, urgent, URGENT_PRECISION)
    ask = _widest_band(oof.urgent, urgent, auto, URGENT_QUESTION_SHARE)
    asked = float(np.mean((oof.urgent >= ask) & (oof.urgent < auto)))
    wants = np.asarray([r.type == "feature" for r in records])
    info = np.asarray([r.needs_info for r in records])
    info_threshold = _most_accurate(oof.needs_info[wants], info[wants])
    best, right = _best_matches(records, similarity, oof.types)
    dup_auto = _best_f1(best, right, sum(r.duplicate_of is not None for r in records))
    dup_ask = _widest_band(best, right, dup_auto, max(0.0, QUESTION_SHARE - asked))
    return Thresholds(
        urgent_auto=auto,
        urgent_ask=ask,
        needs_info=info_threshold,
        duplicate_auto=dup_auto,
        duplicate_ask=dup_ask,
    )


def _grid(scores: Matrix) -> list[float]:
    return sorted({round(float(s), 3) for s in scores} | {0.5})


def _lowest_precise(scores: Matrix, truth: Any, target: float) -> float:
    """The lowest threshold whose positives are right at least `target` of the time."""
    for threshold in _grid(scores):
        chosen = scores >= threshold
        if chosen.sum() >= 3 and float(truth[chosen].mean()) >= target:
            return threshold
    return 1.0


def _best_f1(scores: Matrix, right: Any, duplicates: int) -> float:
    """The threshold with the best F1 of linked duplicates among those precise enough."""
    best, chosen = -1.0, 1.0
    for threshold in _grid(scores):
        linked = scores >= threshold
        hits = int(right[linked].sum())
        if not linked.any() or hits / linked.sum() < DUPLICATE_PRECISION:
            continue
        f1 = 2 * hits / (linked.sum() + duplicates)
        if f1 > best:
            best, chosen = f1, threshold
    return chosen


def _widest_band(scores: Matrix, truth: Any, auto: float, share: float) -> float:
    """The lowest threshold below `auto` whose band [threshold, auto) holds at most `share` of
    all requests: everything in it is asked rather than guessed."""
    best = auto
    for threshold in reversed(_grid(scores)):
        if threshold >= auto:
            continue
        band = (scores >= threshold) & (scores < auto)
        if float(band.mean()) > share:
            break
        if truth[scores < threshold].sum() == 0:
            return threshold  # nothing below misses a positive: no need to ask more
        best = threshold
    return best


def _most_accurate(scores: Matrix, truth: Any) -> float:
    if len(scores) == 0:
        return 0.5
    grid = _grid(scores)
    accuracy = [float(((scores >= t) == truth).mean()) for t in grid]
    return grid[int(np.argmax(accuracy))]


def _best_matches(
    records: Sequence[Record], similarity: Matrix, type_probabilities: Matrix
) -> tuple[Matrix, Any]:
    """Per record with earlier ones in its domain: the best duplicate score, and whether that
    candidate really is the same request."""
    roots = duplicate_roots(records)
    kinds = [TYPES[int(i)] for i in np.argmax(type_probabilities, axis=1)]
    sizes = [len(text.words(r.text)) for r in records]
    scores: list[float] = []
    right: list[bool] = []
    for index, record in enumerate(records):
        earlier = [j for j in range(index) if records[j].domain == record.domain]
        if not earlier:
            continue

        def same_type(k: int, index: int = index, earlier: list[int] = earlier) -> bool:
            return kinds[earlier[k]] == kinds[index]

        match = duplicates.best(
            similarity[index],
            sizes[index],
            similarity[earlier],
            [sizes[j] for j in earlier],
            same_type,
        )
        if match is None:
            continue
        found = records[earlier[match.index]]
        scores.append(match.score)
        right.append(record.duplicate_of is not None and roots[found.id] == roots[record.id])
    return np.asarray(scores, np.float32), np.asarray(right)


def train(
    records: Sequence[Record],
    vectors: Matrix,
    sentences: Matrix,
    *,
    similarity: Matrix | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> TriageModel:
    """The model for these records, given their built-in embeddings and sentence means (see
    ``embed_records``) in the same order."""
    if len({r.domain for r in records}) < 2:
        raise ValueError("training needs requests from at least two domains")
    none = np.zeros((len(records), len(features.VOTE_NAMES)), np.float32)
    texts = [text.analysed(r.text) for r in records]
    base = features.feature_matrix(texts, vectors, sentences, none)[:, : -none.shape[1]]
    progress(f"cross-validating over {len({r.domain for r in records})} domains")
    oof = out_of_domain(base, vectors, records)
    thresholds = choose_thresholds(records, oof, vectors if similarity is None else similarity)
    progress("fitting the final heads")
    heads = fit_heads(design(base, vectors, records), records)
    return TriageModel(
        encoder=BUILTIN_MODEL,
        features=("embedding", "sentence-mean", *features.NAMES, *features.VOTE_NAMES),
        type_head=heads.type,
        urgent_head=heads.urgent,
        needs_info_head=heads.needs_info,
        thresholds=thresholds,
        examples=Examples(
            vectors=vectors.astype(np.float32),
            types=tuple(r.type for r in records),
            urgent=tuple(r.urgent for r in records),
            titles=tuple(text.snippet(r.text, TITLE_CHARS) for r in records),
        ),
        version=version_of(records),
        about=_about(records),
    )


def embed_records(records: Sequence[Record], embedder: Embedder) -> tuple[Matrix, Matrix]:
    """The built-in embeddings and sentence means of the records, as ``train`` needs them."""
    clean = [text.analysed(r.text) for r in records]
    return features.embed(embedder, clean)


def version_of(records: Sequence[Record]) -> str:
    digest = hashlib.sha256()
    for record in records:
        digest.update(json.dumps(record.as_json(), sort_keys=True).encode())
    settings = (REGULARISATION, URGENT_PRECISION, URGENT_QUESTION_SHARE, QUESTION_SHARE)
    digest.update(repr(settings).encode())
    return f"{FORMAT}.{digest.hexdigest()[:12]}"


def _about(records: Sequence[Record]) -> dict[str, Any]:
    counts: Mapping[str, int] = {kind: sum(r.type == kind for r in records) for kind in TYPES}
    return {
        "trained_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "requests": len(records),
        "domains": sorted({r.domain for r in records}),
        "types": dict(counts),
        "regularisation": REGULARISATION,
    }
