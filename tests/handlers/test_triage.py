"""The triage engine on requests written for these tests, and on the labelled devset."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from handlers.triage import (
    Candidate,
    Reason,
    TriageInputError,
    Triager,
    TriageResult,
    Vectors,
    default_triager,
    triage_batch,
)

REPO = Path(__file__).resolve().parents[2]
DEVSET = REPO.parent / "shared" / "triage" / "devset.jsonl"


@pytest.fixture(scope="module")
def triager() -> Triager:
    return default_triager()


def rendered(result: TriageResult) -> str:
    return " | ".join(reason.render() for reason in result.reasons)


# Plain reports, written for these tests in the guide's words: they must never wait unasked.
PLAIN_INCIDENTS = [
    "The booking site is down, customers get a 503 error page.",
    "Niemand kan meer inloggen op het intranet sinds de update van vanmorgen.",
    "Orders from the webshop fail for all customers since 11:00.",
    "Alle bestellingen mislukken sinds vanmiddag, er komt niets meer binnen.",
    "We think the HR system was hacked: salary data is visible to outsiders.",
    "Er is een storing in de telefooncentrale, klanten krijgen geen gehoor.",
]


@pytest.mark.parametrize("text", PLAIN_INCIDENTS)
def test_a_plain_incident_breaks_through_or_is_asked_about(triager: Triager, text: str) -> None:
    result = triager.triage(text)
    assert result.urgent or (result.check is not None and result.check.kind == "urgency"), rendered(
        result
    )
    assert "Urgent" in rendered(result) or "Not sure it can wait" in rendered(result)


def test_an_incident_says_why_in_plain_words(triager: Triager) -> None:
    result = triager.triage("The customer portal shows a 500 error on login, nobody can get in!")
    assert (result.type, result.urgent, result.check) == ("incident", True, None), rendered(result)
    assert 'Mentions an outage: "500 error"' in rendered(result)
    assert "Closest to earlier incidents such as" in rendered(result)
    assert result.confidence.urgent >= triager.model.thresholds.urgent_auto


@pytest.mark.parametrize(
    "text",
    [
        "The discount on the order summary is rounded the wrong way.",
        "In de offerte staat de verkeerde einddatum van het contract.",
        "Het adresveld accepteert geen postcodes met een spatie.",
    ],
)
def test_defects_without_impact_are_bugs_and_not_urgent(triager: Triager, text: str) -> None:
    result = triager.triage(text)
    assert (result.type, result.urgent) == ("bug", False), rendered(result)
    assert "Closest to earlier bugs" in rendered(result)


@pytest.mark.parametrize(
    "text",
    [
        "How do I change the owner of a project?",
        "Wanneer gaat de nieuwe huisstijl live?",
        "Welke rapportages zijn er beschikbaar voor teamleiders?",
        "Could you tell me who maintains the pricing tables?",
        "If the server goes down, do we lose data?",
    ],
)
def test_questions(triager: Triager, text: str) -> None:
    result = triager.triage(text)
    assert result.type == "question", rendered(result)
    assert not result.urgent and not result.needs_info


def test_a_polite_question_asking_for_a_change_is_a_feature(triager: Triager) -> None:
    result = triager.triage("Kunnen jullie een zoekfilter op datum maken?")
    assert result.type == "feature", rendered(result)


def test_feature_without_a_why_needs_info(triager: Triager) -> None:
    for text in ("Please add a print button to the order page.", "Maak het logo groter."):
        result = triager.triage(text)
        assert (result.type, result.needs_info) == ("feature", True), rendered(result)
        assert "problem it solves" in rendered(result)


def test_feature_with_a_why_does_not_need_info(triager: Triager) -> None:
    cases = {
        "Please add an Excel export to the order page, so that the warehouse can plan the day.": (
            "so that"
        ),
        "Graag een Excel-export van de orderlijst, omdat het magazijn dan de dag kan plannen.": (
            "omdat"
        ),
    }
    for text, cue in cases.items():
        result = triager.triage(text)
        assert (result.type, result.needs_info) == ("feature", False), rendered(result)
        assert f'Gives a reason: "{cue}"' in rendered(result)


def test_a_context_sentence_counts_as_the_why(triager: Triager) -> None:
    result = triager.triage(
        "Can we get a weekly stock report? Purchasing now counts the stock by hand every Friday."
    )
    assert (result.type, result.needs_info) == ("feature", False), rendered(result)


def test_shouting_alone_is_not_urgent(triager: Triager) -> None:
    result = triager.triage("URGENT!!! Can the login button be orange instead of blue ASAP??")
    assert (result.type, result.urgent) == ("feature", False), rendered(result)


def test_without_room_for_a_question_nothing_is_asked(triager: Triager) -> None:
    for text in PLAIN_INCIDENTS:
        assert triager.triage(text, room=0).check is None


def test_duplicate_found_across_languages(triager: Triager) -> None:
    earlier = [
        Candidate("A-1", "De factuur-pdf toont de verkeerde bankrekening van ons bedrijf."),
        Candidate("A-2", "Kunnen we een nieuwsbrief sturen naar alle klanten in mei?"),
    ]
    result = triager.triage("The invoice PDF shows the wrong company bank account.", earlier)
    assert result.duplicate_of == "A-1", rendered(result)
    assert result.duplicate_score is not None and result.duplicate_score >= 0.45
    assert "duplicate of A-1" in rendered(result)


def test_unrelated_request_is_not_a_duplicate(triager: Triager) -> None:
    earlier = [Candidate("A-1", "De factuur-pdf toont de verkeerde bankrekening van ons bedrijf.")]
    result = triager.triage("Hoe vraag ik een parkeerplaats aan op kantoor?", earlier)
    assert result.duplicate_of is None and result.duplicate_score is None
    assert "No earlier item is similar enough (closest: A-1" in rendered(result)


def test_only_vectors_of_one_model_are_compared(triager: Triager) -> None:
    old = "Customers cannot download their annual statement as PDF."
    new = "Klanten kunnen hun jaaroverzicht niet als pdf downloaden."
    stored = triager.triage(old).vector
    model = triager.embedder.model_id
    same = triager.triage(new, [Candidate("S-1", old, stored, model)])
    assert same.duplicate_of == "S-1", rendered(same)
    # Stored by another model: embedded again with the built-in encoder, same answer.
    again = triager.triage(new, [Candidate("S-1", old, tuple(stored[:100]), "endpoint:x")])
    assert again.duplicate_score == pytest.approx(same.duplicate_score, abs=1e-5)
    # The request in an endpoint's space: a built-in vector cannot be compared with it.
    [own] = triager.vectors([new])
    remote = Vectors(own.builtin, own.sentences, own.similarity[:100], "endpoint:x")
    apart = triager.triage(new, [Candidate("S-1", old, stored, model)], vectors=remote)
    assert apart.duplicate_of is None and apart.confidence.duplicate is None


def test_vectors_are_unit_length_and_empty_text_gets_none(triager: Triager) -> None:
    vectors = triager.vectors(["een verzoek", "a request. With two sentences.", ""])
    assert [len(v.builtin) for v in vectors] == [512, 512, 512]
    assert float(vectors[1].sentences @ vectors[1].sentences) == pytest.approx(1.0, abs=1e-4)
    assert float(vectors[0].builtin @ vectors[0].builtin) == pytest.approx(1.0, abs=1e-4)
    assert not vectors[2].builtin.any()


def test_default_triager_is_one_object() -> None:
    assert default_triager() is default_triager()


def test_reason_renders_english() -> None:
    reason = Reason('Mentions an outage: "{cue}"', {"cue": "down"})
    assert reason.render() == 'Mentions an outage: "down"'


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text(triager: Triager, text: str) -> None:
    result = triager.triage(text, [Candidate("A-1", "Something")])
    assert result.duplicate_of is None and result.needs_info and not result.urgent
    assert result.reasons and result.title == ""


def test_huge_text_is_truncated_not_fatal(triager: Triager) -> None:
    text = "The export to Excel shows wrong totals. " + "lorem ipsum " * 9000
    assert len(text) > 100_000
    result = triager.triage(text)
    assert "Only the first" in rendered(result)
    assert result.title == "The export to Excel shows wrong totals."
    assert len(result.vector) == 512


def test_long_first_sentence_gives_a_short_title(triager: Triager) -> None:
    text = "Could we please have " + "a very " * 30 + "long request"
    result = triager.triage(text)
    assert len(result.title) <= 80 and result.title.endswith("…")


@pytest.mark.parametrize("bad", [None, 42, b"bytes", ["a list"]])
def test_non_string_text_is_refused(triager: Triager, bad: object) -> None:
    with pytest.raises(TriageInputError, match="text must be a string"):
        triager.triage(bad)  # type: ignore[arg-type]


def batch(records: list[dict[str, object]]) -> list[dict[str, object]]:
    return list(triage_batch(records))


def test_batch_compares_only_with_earlier_records() -> None:
    rows = batch(
        [
            {
                "id": "1",
                "text": "The search box finds no customers with an apostrophe in the name.",
            },
            {"id": "2", "text": "Wat is het telefoonnummer van de servicedesk?"},
            {"id": "3", "text": "Zoeken vindt geen klanten met een apostrof in de naam."},
        ]
    )
    assert [row["id"] for row in rows] == ["1", "2", "3"]
    assert [row["duplicate_of"] for row in rows] == [None, None, "1"]
    assert set(rows[0]) == {
        "id", "type", "urgent", "duplicate_of", "needs_info", "check", "confidence", "reasons"
    }  # fmt: skip
    assert set(rows[2]["confidence"]) == {"type", "urgent", "duplicate"}  # type: ignore[arg-type]
    assert all(isinstance(r, str) for row in rows for r in row["reasons"])  # type: ignore[attr-defined]


def test_batch_points_a_repeat_of_a_duplicate_to_the_original() -> None:
    rows = batch(
        [
            {"id": "a", "text": "Payments by credit card fail for every customer since noon!"},
            {"id": "b", "text": "Creditcardbetalingen mislukken sinds 12 uur voor alle klanten."},
            {
                "id": "c",
                "text": "Since noon, no customer can pay by credit card, all payments fail.",
            },
        ]
    )
    assert rows[1]["duplicate_of"] == "a"
    assert rows[2]["duplicate_of"] == "a"


def test_batch_ignores_other_keys_and_accepts_numeric_ids() -> None:
    rows = batch([{"id": 7, "text": "Hoe werkt de verlofregeling?", "expect": {}, "x": 1}])
    assert rows[0]["id"] == "7" and rows[0]["type"] == "question"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"text": "no id"}, 'record 2: "id"'),
        ({"id": "x", "text": None}, "record 2: \"text\" of 'x'"),
        ({"id": "x", "text": 12}, "record 2: \"text\" of 'x'"),
        ({"id": "1", "text": "same id again"}, "record 2: \"id\" '1' was used before"),
        ("not an object", "record 2: expected an object"),
    ],
)
def test_malformed_record_names_its_position(bad: object, message: str) -> None:
    records: list[object] = [{"id": "1", "text": "Graag een donkere modus."}, bad]
    produced: Iterator[dict[str, object]] = triage_batch(records)  # type: ignore[arg-type]
    assert next(produced)["id"] == "1"
    with pytest.raises(TriageInputError) as raised:
        next(produced)
    assert isinstance(raised.value, ValueError)
    assert message in str(raised.value)
    assert raised.value.position == 2


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "triage_quality", REPO / "bench" / "triage_quality.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not DEVSET.exists(), reason=f"no devset at {DEVSET}")
def test_devset_meets_the_quality_targets() -> None:
    bench = _bench()
    records = bench.load(DEVSET)
    figures = bench.evaluate(records, batch(records))
    assert figures["type_accuracy"] >= 0.85, figures
    assert figures["urgent_caught"] == 1.0, figures
    assert figures["urgent_precision"] >= 0.85, figures
    assert figures["duplicate_f1"] >= 0.8, figures
    assert figures["needs_info_accuracy"] >= 0.9, figures
    assert figures["question_share"] <= 0.2, figures


def test_devset_lines_are_json() -> None:
    if DEVSET.exists():
        first = json.loads(DEVSET.read_text(encoding="utf-8").splitlines()[0])
        assert {"id", "text", "expect"} <= set(first)
