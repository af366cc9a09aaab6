"""The Triager: one request in, its type, urgency, duplicate and missing "why" out."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from handlers.triage import duplicates, model, text
from handlers.triage import messages as m
from handlers.triage.classify import classify
from handlers.triage.needs_info import needs_info
from handlers.triage.prototypes import Prototypes
from handlers.triage.types import Candidate, Reason, TriageInputError, TriageResult


class Triager:
    """Triages requests; thread-safe, and loads the model on first use only."""

    def __init__(
        self,
        embedder: model.Embedder | None = None,
        *,
        duplicate_threshold: float = duplicates.THRESHOLD,
        other_type_penalty: float = duplicates.OTHER_TYPE_PENALTY,
    ) -> None:
        self._embedder = embedder
        self._prototypes: Prototypes | None = None
        self._lock = threading.Lock()
        self.duplicate_threshold = duplicate_threshold
        self.other_type_penalty = other_type_penalty

    def embed(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        """The embeddings of the texts (as stored in TriageResult.vector), in one batch."""
        return [tuple(map(float, row)) for row in self._encode(texts)]

    def triage(self, text: str, earlier: Sequence[Candidate] = ()) -> TriageResult:
        """Triage one request, comparing it with the earlier, still-open items."""
        return self.triage_embedded(text, None, earlier)

    def triage_embedded(
        self, request: str, vector: Sequence[float] | None, earlier: Sequence[Candidate]
    ) -> TriageResult:
        """``triage`` with the request's embedding already computed (None: compute it)."""
        if not isinstance(request, str):
            raise TriageInputError(f"text must be a string, not {type(request).__name__}")
        clean = text.normalise(request)
        analysed = text.clip(clean, text.MAX_ANALYSED_CHARS)
        own = self._vector(analysed, vector)
        if not analysed:
            return _empty(own)
        parts = text.sentences(analysed)
        found = classify(analysed, parts, self._scores(own))
        reasons = [*found.reasons]
        if len(clean) > len(analysed):
            reasons.insert(0, Reason(m.TRUNCATED, {"chars": str(text.MAX_ANALYSED_CHARS)}))
        duplicate_of, score, reason = self._duplicate(analysed, found.type, own, earlier)
        if reason:
            reasons.append(reason)
        missing = False
        if found.type == "feature":
            missing, why = needs_info(analysed, parts)
            reasons.append(why)
        return TriageResult(
            type=found.type,
            urgent=found.urgent,
            duplicate_of=duplicate_of,
            duplicate_score=score,
            needs_info=missing,
            reasons=tuple(reasons),
            vector=tuple(map(float, own)),
            title=text.title(analysed),
        )

    def _duplicate(
        self, analysed: str, kind: str, own: model.Matrix, earlier: Sequence[Candidate]
    ) -> tuple[str | None, float | None, Reason | None]:
        if not earlier or not np.any(own):
            return None, None, None
        others = self._candidate_vectors(earlier)
        sizes = [len(text.words(c.text)) for c in earlier]
        scores = duplicates.similarities(own, len(text.words(analysed)), others, sizes)

        def same_type(index: int) -> bool:
            return self._type_of(earlier[index].text, others[index]) == kind

        match = duplicates.closest(
            scores, same_type, self.duplicate_threshold, self.other_type_penalty
        )
        if match is None:
            return None, None, None
        found = earlier[match.index]
        params = {"id": found.id, "score": f"{match.score:.2f}"}
        if match.score < self.duplicate_threshold:
            return None, None, Reason(m.NO_DUPLICATE, params)
        title = text.title(text.normalise(found.text))
        return found.id, match.score, Reason(m.DUPLICATE, {**params, "title": title})

    def _type_of(self, request: str, vector: model.Matrix) -> str:
        analysed = text.clip(text.normalise(request), text.MAX_ANALYSED_CHARS)
        if not analysed:
            return "feature"
        return classify(analysed, text.sentences(analysed), self._scores(vector)).type

    def _candidate_vectors(self, earlier: Sequence[Candidate]) -> model.Matrix:
        rows = np.zeros((len(earlier), model.DIMENSIONS), dtype=np.float32)
        missing = []
        for i, candidate in enumerate(earlier):
            if candidate.vector is not None and len(candidate.vector) == model.DIMENSIONS:
                rows[i] = np.asarray(candidate.vector, dtype=np.float32)
            else:
                missing.append(i)
        if missing:
            rows[missing] = self._encode([earlier[i].text for i in missing])
        return rows

    def _vector(self, analysed: str, given: Sequence[float] | None) -> model.Matrix:
        if given is not None and len(given) == model.DIMENSIONS:
            return np.asarray(given, dtype=np.float32)
        row: model.Matrix = self._encode([analysed])[0]
        return row

    def _encode(self, texts: Sequence[str]) -> model.Matrix:
        for item in texts:
            if not isinstance(item, str):
                raise TriageInputError(f"text must be a string, not {type(item).__name__}")
        clipped = [text.clip(text.normalise(item), text.MAX_EMBEDDED_CHARS) for item in texts]
        return model.encode(self._model(), clipped)

    def _scores(self, vector: model.Matrix) -> dict[str, float]:
        with self._lock:
            if self._prototypes is None:
                self._prototypes = Prototypes(self._model())
            prototypes = self._prototypes
        return prototypes.scores(vector)

    def _model(self) -> model.Embedder:
        if self._embedder is None:
            self._embedder = model.load_model()
        return self._embedder


def _empty(vector: model.Matrix) -> TriageResult:
    return TriageResult(
        type="feature",
        urgent=False,
        duplicate_of=None,
        duplicate_score=None,
        needs_info=True,
        reasons=(Reason(m.EMPTY),),
        vector=tuple(map(float, vector)),
        title="",
    )


_default: Triager | None = None
_default_lock = threading.Lock()


def default_triager() -> Triager:
    """The process-wide Triager; its model is loaded once, on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Triager()
        return _default
