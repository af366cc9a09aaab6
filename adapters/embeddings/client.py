"""The embeddings endpoint over HTTP: batches of texts in, unit vectors out, or a clear error."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
import numpy as np

from adapters.embeddings.settings import EmbeddingsSettings
from bot.kernel.errors import HeatshieldError
from handlers.triage.embedding import Matrix, normalised

log = logging.getLogger(__name__)
MAX_INPUT_CHARS = 8000


class EmbeddingsError(HeatshieldError):
    """The endpoint answered something other than embeddings; says what."""


class EndpointEmbedder:
    """A ``RemoteEmbedder`` over one reused HTTP session."""

    def __init__(self, settings: EmbeddingsSettings) -> None:
        self._settings = settings
        self._session: aiohttp.ClientSession | None = None
        # The model's vector size, learnt from its first answer.
        self._width: int | None = settings.dimensions

    @property
    def model_id(self) -> str:
        return self._settings.model_id

    async def embed(self, texts: Sequence[str]) -> Matrix:
        size = self._settings.batch_size
        rows = [await self._batch(texts[i : i + size]) for i in range(0, len(texts), size)]
        return np.vstack(rows) if rows else np.zeros((0, 0), np.float32)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _batch(self, texts: Sequence[str]) -> Matrix:
        # The API refuses empty strings: those get the zero vector without asking.
        filled = [i for i, text in enumerate(texts) if text.strip()]
        body: dict[str, Any] = {
            "model": self._settings.model,
            "input": [texts[i][:MAX_INPUT_CHARS] for i in filled],
            "encoding_format": "float",
        }
        if self._settings.dimensions:
            body["dimensions"] = self._settings.dimensions
        vectors = await self._post(body, len(filled)) if filled else None
        if vectors is not None:
            self._width = vectors.shape[1]
        if self._width is None:
            raise EmbeddingsError("only empty texts, and the model's vector size is not known")
        out = np.zeros((len(texts), self._width), np.float32)
        if vectors is not None:
            out[filled] = normalised(vectors)
        return out

    async def _post(self, body: dict[str, Any], expected: int) -> Matrix:
        session = self._open()
        async with session.post(self._settings.endpoint, json=body, headers=self._headers()) as r:
            if r.status != 200:
                snippet = (await r.text())[:200]
                raise EmbeddingsError(f"the endpoint answered HTTP {r.status}: {snippet}")
            try:
                payload = await r.json(content_type=None)
            except ValueError as exc:
                raise EmbeddingsError("the endpoint answered something that is not JSON") from exc
        return _vectors(payload, expected)

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self._settings.timeout_seconds)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    def _headers(self) -> dict[str, str]:
        key = self._settings.api_key
        if not key:
            return {}
        header = self._settings.api_key_header
        return {header: f"Bearer {key}" if header.lower() == "authorization" else key}


def _vectors(payload: object, expected: int) -> Matrix:
    """The "data" list of an embeddings response, in input order, checked."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list) or len(data) != expected:
        raise EmbeddingsError(f"expected {expected} embeddings in the answer's data list")
    ordered = sorted(
        data, key=lambda entry: entry.get("index", 0) if isinstance(entry, dict) else 0
    )
    try:
        rows = [[float(x) for x in entry["embedding"]] for entry in ordered]
    except (KeyError, TypeError, ValueError) as exc:
        raise EmbeddingsError("an embedding in the answer is not a list of numbers") from exc
    if not rows or len({len(row) for row in rows}) != 1 or not rows[0]:
        raise EmbeddingsError("the embeddings in the answer differ in length or are empty")
    matrix = np.asarray(rows, dtype=np.float32)
    if not np.all(np.isfinite(matrix)):
        raise EmbeddingsError("an embedding in the answer holds a value that is not a number")
    return matrix


def endpoint_from_environment() -> EndpointEmbedder | None:
    """The endpoint HEATSHIELD_EMBEDDINGS_* configures, or None (the built-in encoder only)."""
    from adapters.embeddings.settings import load_embeddings_settings

    settings = load_embeddings_settings()
    if not settings.configured:
        return None
    log.info("Comparing requests with embeddings from %s (%s)", settings.endpoint, settings.model)
    return EndpointEmbedder(settings)
