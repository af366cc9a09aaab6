"""The triage's parts on their own: the question budget, the team's vote, the model file,
training, the corpus and its labels, and the rule for explicit alarm words."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from handlers.triage import (
    Label,
    Triager,
    budget,
    corpus,
    features,
    neighbours,
    signals,
    text,
    training,
)
from handlers.triage.embedding import Matrix, normalised
from handlers.triage.model import ModelFileError, TriageModel
from handlers.triage.types import TYPES, TriageInputError


class WordHashEmbedder:
    """A deterministic stand-in for the encoder: each word adds its own random direction, so
    texts sharing words are close. Fast, and enough to exercise training."""

    model_id = "test-hash"

    def embed(self, texts: Sequence[str]) -> Matrix:
        rows = np.zeros((len(texts), 64), np.float32)
        for i, sentence in enumerate(texts):
            for word in text.words(sentence):
                seed = int(hashlib.sha256(word.encode()).hexdigest()[:8], 16)
                rows[i] += np.random.default_rng(seed).standard_normal(64).astype(np.float32)
        filled = np.any(rows, axis=1)
        rows[filled] = normalised(rows[filled])
        return rows


# --- the question budget -------------------------------------------------------------


def test_the_first_request_of_a_workspace_may_ask() -> None:
    assert budget.room([]) == 1


def test_one_question_in_five_requests_at_most() -> None:
    asked: list[bool] = []
    for _ in range(200):
        asked.append(budget.room(asked) >= 1)  # ask whenever allowed
    for start in range(len(asked) - budget.WINDOW + 1):
        assert sum(asked[start : start + budget.WINDOW]) <= budget.WINDOW * budget.SHARE
    assert sum(asked) >= 200 * budget.SHARE - 2, "the budget is used, not just kept"


def test_room_for_two_only_with_slack_in_the_window() -> None:
    assert budget.room([False] * 19) == 4
    assert budget.room([True, False, False, False] * 4 + [False] * 3) == 0


# --- the team's own labels ---------------------------------------------------------------


def _unit(values: Sequence[float]) -> Matrix:
    vector = np.asarray(values, np.float32)
    return vector / np.linalg.norm(vector)


def test_a_close_label_outweighs_the_model_and_a_far_one_says_nothing() -> None:
    request = _unit([1.0, 0.1, 0.0])
    close = Label("close", tuple(_unit([1.0, 0.0, 0.0])), "incident", True)
    far = Label("far", tuple(_unit([0.0, 0.0, 1.0])), "question", False)
    model = np.asarray([0.1, 0.7, 0.1, 0.1], np.float32)

    vote = neighbours.vote([close, far], request)
    assert vote is not None and vote.nearest is close
    types, urgent = neighbours.blend(model, 0.05, vote)
    assert TYPES[int(np.argmax(types))] == "incident"
    assert urgent > 0.5
    assert neighbours.vote([far], request) is None
    assert neighbours.vote([], request) is None


# --- the model file ------------------------------------------------------------------


def test_the_shipped_model_loads_with_thresholds_in_order() -> None:
    model = TriageModel.load()
    limits = model.thresholds
    assert 0 < limits.urgent_ask < limits.urgent_auto <= 1
    assert 0 < limits.duplicate_ask <= limits.duplicate_auto <= 1
    assert model.type_head.classes == TYPES
    assert len(model.examples) >= 800
    assert model.about["requests"] == len(model.examples)


def test_a_model_file_survives_saving_and_loading(tmp_path: Path) -> None:
    model = TriageModel.load()
    path = tmp_path / "copy.npz"
    model.save(path)
    again = TriageModel.load(path)
    assert again.version == model.version and again.thresholds == model.thresholds
    x = np.random.default_rng(1).standard_normal((3, model.type_head.weights.shape[1]))
    x = x.astype(np.float32)
    assert np.allclose(again.type_head.probabilities(x), model.type_head.probabilities(x))


def test_a_file_that_is_no_model_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match=r"broken\.npz"):
        TriageModel.load(broken)


# --- training ------------------------------------------------------------------------


def _tiny_corpus() -> list[corpus.Record]:
    lines = []
    for domain, system in (("shop", "checkout"), ("school", "timetable"), ("bank", "app")):
        for n, (kind, urgent, sentence) in enumerate(
            [
                ("incident", True, f"the {system} is down for everyone, nobody can work"),
                ("incident", True, f"outage: the {system} gives errors to all users since 9"),
                ("bug", False, f"the {system} shows the wrong date on one page"),
                ("bug", False, f"a typo in the {system} footer"),
                ("feature", False, f"please add an export to the {system} because we retype"),
                ("feature", False, f"can the {system} get a dark mode"),
                ("question", False, f"how do I reset my {system} password?"),
                ("question", False, f"when is the next {system} release?"),
            ]
        ):
            expect = {"type": kind, "urgent": urgent, "duplicate_of": None,
                      "needs_info": sentence.endswith("dark mode")}  # fmt: skip
            line = {"id": f"{domain}-{n}", "domain": domain, "text": sentence, "expect": expect}
            lines.append(corpus.parse(line))
    return lines


def test_training_learns_heads_and_thresholds_from_other_domains() -> None:
    records = _tiny_corpus()
    embedder = WordHashEmbedder()
    whole, sentences = training.embed_records(records, embedder)  # type: ignore[arg-type]
    steps: list[str] = []

    model = training.train(records, whole, sentences, progress=steps.append)

    assert steps and "3 domains" in steps[0]
    assert 0 <= model.thresholds.urgent_ask <= model.thresholds.urgent_auto <= 1
    assert model.about["domains"] == ["bank", "school", "shop"]
    # Requests of a domain it never saw, read through the model's own features.
    unseen = [
        "the portal is down for everyone, nobody can work",
        "how do I reset my portal password?",
        "please add an export to the portal because we retype",
    ]
    new_whole, new_sentences = features.embed(embedder, unseen)  # type: ignore[arg-type]
    kinds = [TYPES.index(kind) for kind in model.examples.types]
    votes = features.votes(new_whole, model.examples.vectors, kinds, model.examples.urgent)
    x = features.feature_matrix(unseen, new_whole, new_sentences, votes)
    predicted = [TYPES[i] for i in np.argmax(model.type_head.probabilities(x), axis=1)]
    assert predicted == ["incident", "question", "feature"]
    urgency = model.urgent_head.probabilities(x)
    assert urgency[0] > urgency[1] and urgency[0] > urgency[2]


def test_training_needs_two_domains() -> None:
    records = [r for r in _tiny_corpus() if r.domain == "shop"]
    whole, sentences = training.embed_records(records, WordHashEmbedder())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="two domains"):
        training.train(records, whole, sentences)


# --- the corpus ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> list[corpus.Record]:
    return corpus.load()


def test_the_corpus_is_large_varied_and_bilingual(shipped: list[corpus.Record]) -> None:
    assert len(shipped) >= 800
    assert len(corpus.domains(shipped)) >= 16
    languages = Counter(record.lang for record in shipped)
    assert 0.4 <= languages["nl"] / len(shipped) <= 0.6
    assert set(Counter(record.type for record in shipped)) == set(TYPES)
    assert sum(r.duplicate_of is not None for r in shipped) >= 100


def test_every_corpus_label_keeps_the_labelling_guide(shipped: list[corpus.Record]) -> None:
    by_id = {record.id: record for record in shipped}
    for record in shipped:
        if record.type == "incident":
            assert record.urgent, f"{record.id}: every incident is urgent"
        if record.type == "question":
            assert not record.urgent, f"{record.id}: questions are never urgent"
        if record.needs_info:
            assert record.type == "feature", f"{record.id}: needs_info only on features"
        if record.duplicate_of:
            original = by_id[record.duplicate_of]
            assert original.duplicate_of is None, f"{record.id}: points to the first request"
            assert (original.type, original.urgent) == (record.type, record.urgent), record.id


def test_a_duplicate_of_a_later_or_foreign_request_is_refused(tmp_path: Path) -> None:
    def line(record_id: str, duplicate: str | None) -> str:
        expect = {"type": "bug", "urgent": False, "duplicate_of": duplicate, "needs_info": False}
        return json.dumps({"id": record_id, "text": "x", "expect": expect})

    path = tmp_path / "shop.jsonl"
    path.write_text(line("a", "b") + "\n" + line("b", None) + "\n", encoding="utf-8")
    with pytest.raises(TriageInputError, match="a duplicates b"):
        corpus.read(path)
    path.write_text('{"id": "a", "text": "x", "expect": {"type": "wish"}}\n', encoding="utf-8")
    with pytest.raises(TriageInputError, match=r"shop\.jsonl:1"):
        corpus.read(path)


# --- the rule for alarm words -----------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The booking site is down since nine.", ("outage", "is down")),
        ("Er is een storing in de telefooncentrale.", ("outage", "storing")),
        ("We have a data breach, customer files are online.", ("security", "data breach")),
        ("If the server goes down, do we lose data?", None),
        ("Was the outage last night caused by the update?", None),
        ("Wat als de koppeling onbereikbaar is?", None),
    ],
)
def test_an_alarm_word_counts_only_when_stated_as_fact(
    sentence: str, expected: tuple[str, str] | None
) -> None:
    assert signals.alarm(text.sentences(sentence)) == expected


def test_an_explicit_outage_is_never_left_unasked_and_quietly_queued() -> None:
    triager = Triager()
    for request in ("Production is down!", "De hele website ligt eruit."):
        result = triager.triage(request, room=1)
        assert result.urgent or result.check is not None, result.reasons
        result = triager.triage(request, room=0)
        assert result.urgent, result.reasons
