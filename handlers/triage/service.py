"""The triage as handlers use it: asynchronous, its CPU work in a worker thread, off the loop.

With an embeddings endpoint configured (a ``RemoteEmbedder``, from adapters/), requests are
compared with each other in that model's space; when the endpoint fails or times out, the
built-in encoder takes over for a while and nothing is lost: the request is triaged all the same
and its embedding is tagged with the model that made it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from handlers.triage.embedding import Matrix
from handlers.triage.text import analysed
from handlers.triage.triager import MAX_REEMBEDDED, Triager, Vectors
from handlers.triage.types import Candidate, CandidatePool, Label, TriageResult

log = logging.getLogger(__name__)
READY_KEPT = 512
# After a failure the endpoint is left alone this long, so that requests do not each wait for
# its time-out while it is down.
COOLDOWN_SECONDS = 30.0


class RemoteEmbedder(Protocol):
    """An embeddings endpoint: texts to vectors of its own model."""

    @property
    def model_id(self) -> str: ...

    async def embed(self, texts: Sequence[str]) -> Matrix: ...

    async def close(self) -> None: ...


class TriageService:
    def __init__(
        self,
        triager: Triager,
        remote: RemoteEmbedder | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.triager = triager
        self.remote = remote
        self._monotonic = monotonic
        self._resting_until = 0.0
        # Vectors embedded ahead for the workers' next requests, by text.
        self._ready: OrderedDict[str, Vectors] = OrderedDict()

    @property
    def similarity_model(self) -> str:
        """The model whose vectors are stored with new items while the endpoint works."""
        return self.remote.model_id if self.remote else self.triager.embedder.model_id

    async def load(self) -> None:
        await asyncio.to_thread(self.triager.load)

    async def close(self) -> None:
        if self.remote is not None:
            await self.remote.close()

    async def prefetch(self, texts: Sequence[str]) -> None:
        """Embed texts that are about to be triaged, in one batch (much cheaper per text than
        one at a time); ``vectors`` then finds them ready."""
        wanted = [t for t in dict.fromkeys(texts) if t not in self._ready]
        if not wanted:
            return
        for text, vectors in zip(wanted, await self._compute(wanted), strict=True):
            self._ready[text] = vectors
        while len(self._ready) > READY_KEPT:
            self._ready.popitem(last=False)

    async def vectors(self, texts: Sequence[str]) -> list[Vectors]:
        ready = [self._ready.pop(t.strip(), None) for t in texts]
        missing = [t for t, found in zip(texts, ready, strict=True) if found is None]
        computed = iter(await self._compute(missing) if missing else [])
        return [found if found is not None else next(computed) for found in ready]

    async def _compute(self, texts: Sequence[str]) -> list[Vectors]:
        own = await asyncio.to_thread(self.triager.vectors, texts)
        if self.remote is None or not texts:
            return own
        remote = await self._remote([analysed(text) for text in texts])
        if remote is None:
            return own
        model = self.remote.model_id
        return [
            Vectors(v.builtin, v.sentences, row, model) for v, row in zip(own, remote, strict=True)
        ]

    async def builtin_vector(self, text: str) -> Matrix:
        [own] = await asyncio.to_thread(self.triager.vectors, [text])
        return own.builtin

    async def comparable(self, candidates: Sequence[Candidate], model: str) -> list[Candidate]:
        """The candidates with vectors of the endpoint's model when the request has one: those
        stored by another model (before a switch, or while the endpoint was down) are embedded
        again, and left out of the comparison when the endpoint fails. (For the built-in
        encoder, the triager does the same itself.)"""
        if self.remote is None or model != self.remote.model_id:
            return list(candidates)
        stale = [c for c in candidates if c.model != model or c.vector is None]
        if not stale:
            return list(candidates)
        stale = stale[-MAX_REEMBEDDED:]
        rows = await self._remote([analysed(c.text) for c in stale])
        if rows is None:
            return [c for c in candidates if c.model == model and c.vector is not None]
        left_out = {c.id for c in candidates if c.model != model or c.vector is None} - {
            c.id for c in stale
        }
        fresh = {
            c.id: replace(c, vector=tuple(map(float, row)), model=model)
            for c, row in zip(stale, rows, strict=True)
        }
        return [fresh.get(c.id, c) for c in candidates if c.id not in left_out]

    async def triage(
        self,
        text: str,
        earlier: Sequence[Candidate] | CandidatePool = (),
        *,
        labels: Sequence[Label] = (),
        room: int = 2,
        vectors: Vectors | None = None,
        recent: CandidatePool | None = None,
    ) -> TriageResult:
        own = vectors or (await self.vectors([text]))[0]
        usable: Sequence[Candidate] | CandidatePool = earlier
        if not isinstance(earlier, CandidatePool) and earlier:
            usable = await self.comparable(earlier, own.similarity_model)
        return await asyncio.to_thread(
            self.triager.triage, text, usable, labels=labels, room=room, vectors=own, recent=recent
        )

    async def _remote(self, texts: Sequence[str]) -> Matrix | None:
        assert self.remote is not None
        if self._monotonic() < self._resting_until:
            return None
        try:
            return await self.remote.embed(texts)
        except Exception as exc:  # any failure of the endpoint: fall back, lose nothing
            self._resting_until = self._monotonic() + COOLDOWN_SECONDS
            log.warning(
                "The embeddings endpoint failed (%s: %s); using the built-in encoder for %.0f s",
                type(exc).__name__,
                exc,
                COOLDOWN_SECONDS,
            )
            return None
