"""The learned triage model: linear heads over the features, thresholds, and labelled examples.

It is trained from the corpus by ``heatshield triage train`` (see training.py) and shipped as one
small ``.npz`` file: the weights of three logistic regressions (type, urgency, missing "why"),
the thresholds chosen by cross-validation across domains, and the corpus's own examples (their
embeddings in half precision and a short title), which let the triage say which earlier requests
a new one resembles. Only numpy is needed to use it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from handlers.triage.embedding import Matrix
from handlers.triage.types import TYPES

FORMAT = 1
SHIPPED = Path(__file__).with_name("trained") / "triage-model.npz"


class ModelFileError(ValueError):
    """A model file that cannot be used; says which file and why."""


@dataclass(frozen=True)
class Head:
    """A logistic regression: one row of weights per class (one row for a yes/no head)."""

    weights: Matrix
    bias: Matrix
    classes: tuple[str, ...]

    def probabilities(self, features: Matrix) -> Matrix:
        """Per row of features, the probability of each class (of "yes" for a binary head)."""
        logits = features @ self.weights.T + self.bias
        if len(self.classes) == 2:
            result: Matrix = (1.0 / (1.0 + np.exp(-logits[:, 0]))).astype(np.float32)
            return result
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities: Matrix = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
        return probabilities


@dataclass(frozen=True)
class Thresholds:
    """Where the triage is sure, and where it asks; chosen by cross-validation in training."""

    urgent_auto: float
    urgent_ask: float
    needs_info: float
    duplicate_auto: float
    duplicate_ask: float


@dataclass(frozen=True)
class Examples:
    """Labelled requests with their embeddings: the corpus's, or a workspace's own."""

    vectors: Matrix
    types: tuple[str, ...]
    urgent: tuple[bool, ...]
    titles: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.types)


@dataclass(frozen=True)
class TriageModel:
    encoder: str
    features: tuple[str, ...]
    type_head: Head
    urgent_head: Head
    needs_info_head: Head
    thresholds: Thresholds
    examples: Examples
    version: str
    about: dict[str, Any] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        meta = {
            "format": FORMAT,
            "version": self.version,
            "encoder": self.encoder,
            "features": list(self.features),
            "thresholds": asdict(self.thresholds),
            "types": list(self.examples.types),
            "titles": list(self.examples.titles),
            "about": self.about,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(
                handle,
                meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8),
                type_w=self.type_head.weights,
                type_b=self.type_head.bias,
                urgent_w=self.urgent_head.weights,
                urgent_b=self.urgent_head.bias,
                info_w=self.needs_info_head.weights,
                info_b=self.needs_info_head.bias,
                example_vectors=self.examples.vectors.astype(np.float16),
                example_urgent=np.asarray(self.examples.urgent, dtype=np.bool_),
            )

    @classmethod
    def load(cls, path: Path = SHIPPED) -> TriageModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode())
                arrays = {key: np.asarray(data[key]) for key in data.files if key != "meta"}
        except (OSError, ValueError, KeyError) as exc:
            raise ModelFileError(f"{path}: not a triage model file ({exc})") from exc
        if meta.get("format") != FORMAT:
            raise ModelFileError(f"{path}: model format {meta.get('format')}, expected {FORMAT}")
        return cls._from(meta, arrays)

    @classmethod
    def _from(cls, meta: dict[str, Any], arrays: dict[str, Any]) -> TriageModel:
        def head(prefix: str, classes: tuple[str, ...]) -> Head:
            return Head(
                arrays[f"{prefix}_w"].astype(np.float32),
                arrays[f"{prefix}_b"].astype(np.float32),
                classes,
            )

        yes_no = ("no", "yes")
        return cls(
            encoder=str(meta["encoder"]),
            features=tuple(meta["features"]),
            type_head=head("type", TYPES),
            urgent_head=head("urgent", yes_no),
            needs_info_head=head("info", yes_no),
            thresholds=Thresholds(**meta["thresholds"]),
            examples=Examples(
                vectors=arrays["example_vectors"].astype(np.float32),
                types=tuple(meta["types"]),
                urgent=tuple(bool(u) for u in arrays["example_urgent"]),
                titles=tuple(meta["titles"]),
            ),
            version=str(meta["version"]),
            about=dict(meta.get("about") or {}),
        )
