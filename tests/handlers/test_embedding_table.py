"""The encoder's word-piece table is read from a file mapped into memory (the rows a message
uses stay resident, the rest may not), with the same vectors as the table held in memory; where
no cache file can be written, the table simply stays in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from handlers.triage import embedding
from handlers.triage.embedding import BuiltinEmbedder

TEXTS = ["The export of the orders page gives the wrong totals.", "Kunnen we op postcode zoeken?"]


def table_of(embedder: BuiltinEmbedder) -> object:
    return embedder._encoder._backend.table  # type: ignore[union-attr]


def test_the_table_is_mapped_from_a_cache_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unwritable = tmp_path / "a-file"
    unwritable.write_text("not a folder")
    monkeypatch.setattr(embedding, "CACHE_DIR", unwritable / "heatshield")
    in_memory = BuiltinEmbedder()
    in_memory.load()
    assert not isinstance(table_of(in_memory), np.memmap)

    monkeypatch.setattr(embedding, "CACHE_DIR", tmp_path / "cache")
    mapped = BuiltinEmbedder()
    mapped.load()

    assert isinstance(table_of(mapped), np.memmap)
    assert [p.suffix for p in (tmp_path / "cache").iterdir()] == [".npy"]  # no partial left
    assert np.allclose(mapped.embed(TEXTS), in_memory.embed(TEXTS), atol=1e-6)
