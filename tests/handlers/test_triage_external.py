"""The shipped model on requests written apart from the corpus (bench/external/): a guard that a
retrained model keeps holding on words it never saw. The sets were never trained or tuned on."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "triage_quality", REPO / "bench" / "triage_quality.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def figures() -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = _bench().external_sets()
    return found


def test_there_are_external_sets(figures: dict[str, dict[str, float]]) -> None:
    assert set(figures) == {"rounds_fghk", "rounds_hgk"}
    assert sum(int(f["records"]) for f in figures.values()) == 156


@pytest.mark.parametrize("name", ["rounds_fghk", "rounds_hgk"])
def test_the_model_holds_on_requests_it_never_saw(
    figures: dict[str, dict[str, float]], name: str
) -> None:
    f = figures[name]
    assert f["type_accuracy"] >= 0.8, f
    assert f["urgent_caught"] >= 0.9, f
    assert f["urgent_precision"] >= 0.7, f
    assert f["needs_info_accuracy"] >= 0.85, f
    assert f["question_share"] <= 0.2, f
