"""The Triager: one request in; its type, urgency, duplicate, missing "why" and question out.

The learned model gives probabilities; the thresholds that came with it say where it is sure.
Between "sure it is urgent" and "sure it can wait" lies a band where the stakeholder is asked
(is it blocking people now?), and the same for a duplicate that is close but not certain; at
most one question per request, and only when the caller's budget allows one.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from handlers.triage import duplicates, features, neighbours, signals, text
from handlers.triage import reason_texts as m
from handlers.triage.embedding import BuiltinEmbedder, Matrix, builtin
from handlers.triage.model import SHIPPED, TriageModel
from handlers.triage.types import (
    TYPES,
    Candidate,
    CandidatePool,
    Check,
    Confidence,
    Label,
    Reason,
    TriageInputError,
    TriageResult,
)

# At most this many earlier items are embedded again for one request (newest first); the rest
# wait for `heatshield triage reembed`.
MAX_REEMBEDDED = 200


@dataclass(frozen=True)
class Vectors:
    """A request's embeddings: what the model reads (the built-in encoder's embedding of the
    whole text and the mean of its sentences' embeddings, so that an ask buried in a long
    message still counts), and the one compared with other requests (the built-in one unless
    an embeddings endpoint is configured)."""

    builtin: Matrix
    sentences: Matrix
    similarity: Matrix
    similarity_model: str


@dataclass(frozen=True)
class Scores:
    types: Matrix
    urgent: float
    needs_info: float
    team: neighbours.Vote | None

    @property
    def kind(self) -> str:
        return TYPES[int(np.argmax(self.types))]


@dataclass(frozen=True)
class _Duplicate:
    """The closest earlier item: its id, title, type and urgency, and the score."""

    id: str
    title: str
    type: str | None
    urgent: bool | None
    score: float


class Triager:
    """Triages requests; thread-safe. The model file and the encoder load on first use, or at
    start-up through ``load``."""

    def __init__(
        self,
        model: TriageModel | None = None,
        embedder: BuiltinEmbedder | None = None,
        *,
        model_path: Path = SHIPPED,
    ) -> None:
        self._model = model
        self._model_path = model_path
        self._embedder = embedder or builtin()
        self._lock = threading.Lock()
        self._kinds: list[int] | None = None

    @property
    def model(self) -> TriageModel:
        with self._lock:
            if self._model is None:
                self._model = TriageModel.load(self._model_path)
            return self._model

    @property
    def embedder(self) -> BuiltinEmbedder:
        return self._embedder

    def load(self) -> None:
        """Load the model file and the encoder now (at start-up), not on the first request."""
        _ = self.model
        self._embedder.load()

    def vectors(self, texts: Sequence[str]) -> list[Vectors]:
        """Built-in embeddings of the texts (their sentences embedded in the same batch), the
        whole-text one also used for comparing requests."""
        clean = [text.analysed(t) for t in _checked(texts)]
        whole, pooled = features.embed(self._embedder, clean)
        model = self._embedder.model_id
        return [Vectors(w, p, w, model) for w, p in zip(whole, pooled, strict=True)]

    def triage(
        self,
        request: str,
        earlier: Sequence[Candidate] | CandidatePool = (),
        *,
        labels: Sequence[Label] = (),
        room: int = 2,
        vectors: Vectors | None = None,
        recent: CandidatePool | None = None,
    ) -> TriageResult:
        """Triage one request against the earlier open items (a list, or a workspace's index,
        and ``recent``: items written since, not in the index yet) and the workspace's labels;
        ``room`` is how many questions the workspace's budget allows now (see budget.py)."""
        [request] = _checked([request])
        clean = text.analysed(request)
        own = vectors or self.vectors([request])[0]
        if not clean:
            return _empty(own)
        scores = self.scores(clean, own, labels)
        if isinstance(earlier, CandidatePool):
            pool = earlier
        else:
            pool = pool_of(self._comparable(earlier, own), own.similarity_model)
        pools = (pool,) if recent is None or not len(recent) else (pool, recent)
        return _Decision(self.model, clean, request, own, scores, pools, room).result()

    def _votes(self, vectors: Vectors) -> Matrix:
        examples = self.model.examples
        with self._lock:
            if self._kinds is None:
                self._kinds = [TYPES.index(kind) for kind in examples.types]
        return features.votes(
            vectors.builtin[None, :], examples.vectors, self._kinds, examples.urgent
        )

    def _comparable(self, earlier: Sequence[Candidate], own: Vectors) -> list[Candidate]:
        """The candidates, those without a vector of the request's model embedded again when
        that model is the built-in encoder (the service does it for an endpoint's): the newest
        MAX_REEMBEDDED of them, so a switch of embedder never makes one request slow."""
        stale = [c for c in earlier if not _comparable(c, own)]
        if not stale or own.similarity_model != self._embedder.model_id:
            return list(earlier)
        stale = stale[-MAX_REEMBEDDED:]
        rows = self._embedder.embed([text.analysed(c.text) for c in stale])
        model = self._embedder.model_id
        again = {
            c.id: dataclasses.replace(c, vector=tuple(map(float, row)), model=model)
            for c, row in zip(stale, rows, strict=True)
        }
        return [again.get(c.id, c) for c in earlier]

    def scores(self, analysed: str, vectors: Vectors, labels: Sequence[Label] = ()) -> Scores:
        model = self.model
        x = features.feature_matrix(
            [analysed], vectors.builtin[None, :], vectors.sentences[None, :], self._votes(vectors)
        )
        team = neighbours.vote(labels, vectors.builtin)
        types, urgent = neighbours.blend(
            model.type_head.probabilities(x)[0],
            float(model.urgent_head.probabilities(x)[0]),
            team,
        )
        return Scores(types, urgent, float(model.needs_info_head.probabilities(x)[0]), team)


class _Decision:
    """One request's triage, step by step: type, urgency, duplicate, the "why"."""

    def __init__(
        self,
        model: TriageModel,
        analysed: str,
        request: str,
        vectors: Vectors,
        scores: Scores,
        earlier: Sequence[CandidatePool],
        room: int,
    ) -> None:
        self.model, self.analysed, self.vectors, self.scores = model, analysed, vectors, scores
        self.thresholds = model.thresholds
        self.earlier = earlier
        self.room = room
        self.reasons: list[Reason] = []
        if len(text.normalise(request)) > len(analysed):
            self.reasons.append(Reason(m.TRUNCATED, {"chars": str(text.MAX_ANALYSED_CHARS)}))
        parts = text.sentences(analysed)
        self.found = signals.fired(analysed, parts)
        self.alarm = signals.alarm(parts)
        self.urgency = scores.urgent

    def result(self) -> TriageResult:
        kind, urgent, check = self._type_and_urgency()
        duplicate = self._closest(kind)
        duplicate_of, score = None, None
        if duplicate is not None:
            duplicate_of, check, kind, urgent = self._duplicate(duplicate, check, kind, urgent)
            score = duplicate.score if duplicate_of else None
        missing = self._needs_info() if kind == "feature" else False
        return TriageResult(
            type=kind,
            urgent=urgent,
            duplicate_of=duplicate_of,
            duplicate_score=score,
            needs_info=missing,
            reasons=tuple(self.reasons),
            vector=tuple(map(float, self.vectors.similarity)),
            title=text.title(self.analysed),
            check=check,
            confidence=Confidence(
                type=float(self.scores.types[TYPES.index(kind)]),
                urgent=self.urgency,
                duplicate=duplicate.score if duplicate else None,
            ),
            vector_model=self.vectors.similarity_model,
        )

    def _type_and_urgency(self) -> tuple[str, bool, Check | None]:
        scores, limits = self.scores, self.thresholds
        kind = scores.kind
        urgency = scores.urgent
        middle = (limits.urgent_ask + limits.urgent_auto) / 2
        if self.alarm is not None and kind in ("incident", "bug"):
            # The rule: a report of an outage or a security problem stated as fact is never
            # left to wait unasked; it lifts the model's probability to the middle of the band.
            urgency = max(urgency, middle)
        self.urgency = urgency
        p = _p(urgency)
        sure = urgency >= limits.urgent_auto
        unsure = limits.urgent_ask <= urgency < limits.urgent_auto
        check = None
        if kind == "question":
            # Never urgent; a question that reads like an outage is asked about instead.
            if sure and self.room >= 1:
                check = Check("urgency")
                self._reason_type(kind)
                self.reasons.append(Reason(m.QUESTION_ASKED, {"p": p}))
            else:
                self._reason_type(kind)
                self.reasons.append(Reason(m.QUESTION_NOT_URGENT))
            return kind, False, check
        urgent = sure
        if unsure and self.room >= 1:
            check = Check("urgency")
            reason = Reason(m.URGENT_ASKED, {"p": p})
        elif unsure and urgency >= middle:
            # No room to ask, and closer to sure than to unsure: safer to interrupt.
            urgent, reason = True, Reason(m.URGENT_UNASKED_SAFE, {"p": p})
        elif unsure:
            reason = Reason(m.URGENT_NOT_ASKED, {"p": p})
        else:
            reason = Reason(m.URGENT if sure else m.NOT_URGENT, {"p": p})
        if not urgent and kind == "incident":
            # An incident cannot wait by definition: what can wait is read as the next best.
            kind = _best_of(scores.types, ("bug", "feature", "question"))
        self._reason_type(kind)
        self.reasons.append(reason)
        return kind, urgent, check

    def _reason_type(self, kind: str) -> None:
        if self.alarm is not None and kind in ("incident", "bug"):
            name, cue = self.alarm
            msgid = m.OUTAGE if name == "outage" else m.SECURITY
            self.reasons.append(Reason(msgid, {"cue": cue}))
        team = self.scores.team
        if team is not None and team.nearest is not None and team.nearest.type == kind:
            example = text.snippet(team.nearest.text, 90)
            self.reasons.append(Reason(m.TEAM_LABELLED[kind], {"example": example}))
            return
        example = _nearest_example(self.model, self.vectors.builtin, kind)
        params = {"example": example, "p": _p(float(self.scores.types[TYPES.index(kind)]))}
        self.reasons.append(Reason(m.LIKE_EXAMPLES[kind], params))

    def _closest(self, kind: str) -> _Duplicate | None:
        found = [match for pool in self.earlier if (match := self._closest_in(pool, kind))]
        return max(found, key=lambda match: match.score, default=None)

    def _closest_in(self, pool: CandidatePool, kind: str) -> _Duplicate | None:
        own = self.vectors.similarity
        if not len(pool) or pool.model != self.vectors.similarity_model or not np.any(own):
            return None
        if pool.matrix.shape[1] != len(own):
            return None
        match = duplicates.best(
            own,
            len(text.words(self.analysed)),
            pool.matrix,
            pool.words,
            lambda i: pool.types[i] in (None, kind),
        )
        if match is None:
            return None
        i = match.index
        return _Duplicate(pool.ids[i], pool.titles[i], pool.types[i], pool.urgent[i], match.score)

    def _duplicate(
        self, found: _Duplicate, check: Check | None, kind: str, urgent: bool
    ) -> tuple[str | None, Check | None, str, bool]:
        limits = self.thresholds
        title = found.title
        params = {"id": found.id, "score": f"{found.score:.2f}"}
        if found.score >= limits.duplicate_auto:
            self.reasons.append(Reason(m.DUPLICATE, {**params, "title": title}))
            original = found
            if original.type not in TYPES or original.urgent is None:
                return original.id, check, kind, urgent
            # A duplicate has the type and urgency of its original, but a link never makes a
            # request less urgent than it reads: the question about urgency stays.
            if (original.type, original.urgent) != (kind, urgent):
                self.reasons.append(Reason(m.INHERITED))
            keeps = urgent or original.urgent
            return original.id, None if original.urgent else check, original.type, keeps
        if found.score >= limits.duplicate_ask and check is None and self.room >= 2:
            self.reasons.append(Reason(m.DUPLICATE_ASKED, {**params, "title": title}))
            return None, Check("duplicate", found.id), kind, urgent
        self.reasons.append(Reason(m.NO_DUPLICATE, params))
        return None, check, kind, urgent

    def _needs_info(self) -> bool:
        if "reason" in self.found:
            self.reasons.append(Reason(m.HAS_WHY, {"cue": self.found["reason"]}))
            return False
        p = self.scores.needs_info
        if p >= self.thresholds.needs_info:
            self.reasons.append(Reason(m.NEEDS_INFO))
            return True
        self.reasons.append(Reason(m.HAS_CONTEXT, {"p": _p(1.0 - p)}))
        return False


def pool_of(candidates: Sequence[Candidate], model: str) -> CandidatePool:
    """A list of candidates as one matrix: those with a vector of ``model``."""
    usable = [c for c in candidates if c.model == model and c.vector is not None]
    width = len(usable[0].vector) if usable and usable[0].vector is not None else 0
    matrix = np.asarray([c.vector for c in usable], dtype=np.float32).reshape(len(usable), width)
    return CandidatePool(
        ids=[c.id for c in usable],
        matrix=matrix,
        words=np.asarray([len(text.words(c.text)) for c in usable], dtype=np.int32),
        types=[c.type for c in usable],
        urgent=[c.urgent for c in usable],
        titles=[text.title(text.normalise(c.text)) for c in usable],
        model=model,
    )


def _comparable(candidate: Candidate, vectors: Vectors) -> bool:
    return (
        candidate.vector is not None
        and candidate.model == vectors.similarity_model
        and len(candidate.vector) == len(vectors.similarity)
    )


def _nearest_example(model: TriageModel, vector: Matrix, kind: str) -> str:
    examples = model.examples
    mask = np.asarray([t == kind for t in examples.types])
    if not mask.any():
        return ""
    similarity = np.where(mask, examples.vectors @ vector, -2.0)
    return examples.titles[int(np.argmax(similarity))]


def _best_of(types: Matrix, kinds: Sequence[str]) -> str:
    return max(kinds, key=lambda kind: float(types[TYPES.index(kind)]))


def _p(value: float) -> str:
    return f"{value:.2f}"


def _checked(texts: Sequence[object]) -> list[str]:
    for item in texts:
        if not isinstance(item, str):
            raise TriageInputError(f"text must be a string, not {type(item).__name__}")
    return [str(item) for item in texts]


def _empty(vectors: Vectors) -> TriageResult:
    return TriageResult(
        type="feature",
        urgent=False,
        duplicate_of=None,
        duplicate_score=None,
        needs_info=True,
        reasons=(Reason(m.EMPTY),),
        vector=tuple(map(float, vectors.similarity)),
        title="",
        vector_model=vectors.similarity_model,
    )


_default: Triager | None = None
_default_lock = threading.Lock()


def default_triager() -> Triager:
    """The process-wide Triager with the shipped model."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Triager()
        return _default
