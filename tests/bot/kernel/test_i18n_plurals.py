"""Plural forms and numbers in the reader's language: "1 request" and "2 requests", 0,84 and 0.84;
a Dutch text that is missing, fuzzy, half written or broken falls back to English."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.kernel import i18n
from bot.kernel.i18n import Translator, translate, translate_plural
from handlers.cards import translate_reason
from handlers.coaching.digest import Digest, Share
from handlers.coaching.reflections import data_question
from handlers.coaching.report import digest_message

WAITING = ("{count} request waiting for a decision.", "{count} requests waiting for a decision.")


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("en", 1, "1 request waiting for a decision."),
        ("en", 2, "2 requests waiting for a decision."),
        ("en", 0, "0 requests waiting for a decision."),
        ("nl", 1, "1 verzoek wacht op een beslissing."),
        ("nl", 2, "2 verzoeken wachten op een beslissing."),
        ("nl", 0, "0 verzoeken wachten op een beslissing."),
    ],
)
def test_the_plural_form_fits_the_count(language: str, count: int, expected: str) -> None:
    assert Translator(language).n(*WAITING, count) == expected
    assert translate_plural(language, *WAITING, count) == expected


def test_the_count_is_written_as_the_readers_language_writes_numbers() -> None:
    assert Translator("en").n(*WAITING, 2000) == "2,000 requests waiting for a decision."
    assert Translator("nl").n(*WAITING, 2000) == "2.000 verzoeken wachten op een beslissing."


def test_other_parameters_are_filled_in_next_to_the_count() -> None:
    tr = Translator("nl")
    text = tr.n(
        "{count} request, {back_door} back door, {approved} approved, {declined} declined, "
        "median {hours} h to a decision",
        "{count} requests, {back_door} back door, {approved} approved, {declined} declined, "
        "median {hours} h to a decision",
        1,
        back_door=0,
        approved=1,
        declined=0,
        hours=tr.number(20.5, digits=1),
    )
    assert text == (
        "1 verzoek, 0 via de achterdeur, 1 goedgekeurd, 0 afgewezen, mediaan 20,5 u tot een besluit"
    )


def test_a_plural_text_missing_in_dutch_follows_english_plural_rules() -> None:
    tr = Translator("nl")
    assert tr.n("{count} cat on the {where}", "{count} cats on the {where}", 1, where="mat") == (
        "1 cat on the mat"
    )
    assert tr.n("{count} cat on the {where}", "{count} cats on the {where}", 3, where="mat") == (
        "3 cats on the mat"
    )
    assert tr.n("{count} cat on the {where}", "{count} cats on the {where}", 0, where="mat") == (
        "0 cats on the mat"
    )


def test_a_singular_lookup_of_a_plural_text_is_not_a_translation() -> None:
    assert translate("nl", WAITING[1], count=3) == "3 requests waiting for a decision."


@pytest.mark.parametrize(
    ("value", "digits", "english", "dutch"),
    [
        (0.84, 2, "0.84", "0,84"),
        (0.8, 2, "0.80", "0,80"),
        (66.7, 1, "66.7", "66,7"),
        (50.0, 1, "50.0", "50,0"),
        (1234.5, 1, "1,234.5", "1.234,5"),
        (5000, 0, "5,000", "5.000"),
        (0.125, None, "0.125", "0,125"),
        (1234567, None, "1,234,567", "1.234.567"),
    ],
)
def test_numbers_in_the_readers_notation(
    value: float, digits: int | None, english: str, dutch: str
) -> None:
    assert Translator("en").number(value, digits=digits) == english
    assert Translator("nl").number(value, digits=digits) == dutch
    assert Translator("nl-BE").number(value, digits=digits) == dutch


def test_the_triage_certainty_on_a_card_has_a_decimal_comma_in_dutch() -> None:
    reason = {"msgid": "Explains what it is for (certainty {p})", "params": {"p": "0.84"}}
    assert translate_reason(Translator("nl"), reason).endswith("(zekerheid 0,84)")
    assert translate_reason(Translator("en"), reason) == "Explains what it is for (certainty 0.84)"


def digest(**fields: object) -> Digest:
    values: dict[str, object] = {
        "workspace": "Demo",
        "week": "2026-W48",
        "start": "2026-11-23",
        "end": "2026-11-29",
        "confidentiality": "names",
        "received": 3,
        "by_source": {"direct": 2, "channel": 0, "back_door": 1},
        "by_type": {"feature": 3},
        "decisions": {"approve": 2, "defer": 0, "decline": 1, "merge": 0, "ask": 0},
        "decided_items": 3,
        "median_hours_to_decision": 20.5,
        "shares": [Share("Finance", 2, 66.7, 1, 50.0, 30)],
    }
    values.update(fields)
    return Digest(**values)  # type: ignore[arg-type]


def test_the_digest_shows_shares_and_hours_in_the_readers_notation() -> None:
    def fields(language: str) -> dict[str, str]:
        message = digest_message(Translator(language), digest(), b"")
        return {f.label: f.value for section in message.sections for f in section.fields}

    dutch, english = fields("nl"), fields("en")
    assert dutch["Finance"].startswith("66,7% van de verzoeken, 50,0% van de goedkeuringen")
    assert english["Finance"].startswith("66.7% of requests, 50.0% of approvals")
    assert "20,5 uur" in dutch.values()
    assert "20.5 hours" in english.values()


def test_the_weekly_question_counts_one_declined_request_in_the_singular() -> None:
    assert (data_question(Translator("en"), digest()) or "").startswith(
        "You declined 1 request, 66.7% of the week's requests came from Finance."
    )
    assert (data_question(Translator("nl"), digest()) or "").startswith(
        "Je wees 1 verzoek af; 66,7% van de verzoeken"
    )
    two = digest(decisions={"approve": 1, "decline": 2})
    assert (data_question(Translator("en"), two) or "").startswith("You declined 2 requests,")


def test_one_request_through_the_back_door_is_singular() -> None:
    one = digest(decisions={}, by_source={"back_door": 1})
    assert data_question(Translator("en"), one) == (
        "1 request reached the team through the back door. How will you steer it to the front door?"
    )
    assert (data_question(Translator("nl"), one) or "").startswith("1 verzoek bereikte het team")


BROKEN_PO = r"""
msgid ""
msgstr ""
"Language: nl\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"
"Content-Type: text/plain; charset=utf-8\n"

msgid "{count} apple for {name}"
msgid_plural "{count} apples for {name}"
msgstr[0] "{count} appel voor {naam}"
msgstr[1] "{count} appels voor {naam}"

msgid "{count} pear"
msgid_plural "{count} pears"
msgstr[0] "{count} peer"
msgstr[1] ""

#, fuzzy
msgid "{count} plum"
msgid_plural "{count} plums"
msgstr[0] "{count} pruimpje"
msgstr[1] "{count} pruimpjes"

#, fuzzy
msgid "Good morning"
msgstr "Goedenavond"

msgid "Hello {name}"
msgstr "Hallo {wie}"

msgid "{count} egg"
msgid_plural "{count} eggs"
msgstr[0] "{count} ei"
msgstr[1] "{count} eieren"
"""


@pytest.fixture
def broken_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    folder = tmp_path / "nl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / f"{i18n.DOMAIN}.po").write_text(BROKEN_PO, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.catalog.cache_clear()
    i18n._translations.cache_clear()
    yield
    i18n.catalog.cache_clear()
    i18n._translations.cache_clear()


@pytest.mark.usefixtures("broken_catalog")
def test_the_catalog_in_use_is_the_one_on_disk() -> None:
    assert Translator("nl").n("{count} egg", "{count} eggs", 1) == "1 ei"
    assert Translator("nl").n("{count} egg", "{count} eggs", 12) == "12 eieren"


@pytest.mark.usefixtures("broken_catalog")
def test_a_plural_whose_placeholders_do_not_fit_is_logged_and_english_used(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tr = Translator("nl")
    with caplog.at_level(logging.ERROR, logger=i18n.__name__):
        assert tr.n("{count} apple for {name}", "{count} apples for {name}", 1, name="Anna") == (
            "1 apple for Anna"
        )
        assert tr.n("{count} apple for {name}", "{count} apples for {name}", 2, name="Anna") == (
            "2 apples for Anna"
        )
    assert [r.levelno for r in caplog.records] == [logging.ERROR, logging.ERROR]
    assert "{count} apple for {name}" in caplog.records[0].getMessage()


@pytest.mark.usefixtures("broken_catalog")
def test_a_text_whose_placeholders_do_not_fit_is_logged_and_english_used(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger=i18n.__name__):
        assert translate("nl", "Hello {name}", name="Anna") == "Hello Anna"
    assert len(caplog.records) == 1


@pytest.mark.usefixtures("broken_catalog")
def test_a_half_written_plural_is_english_in_both_forms() -> None:
    tr = Translator("nl")
    assert tr.n("{count} pear", "{count} pears", 1) == "1 pear"
    assert tr.n("{count} pear", "{count} pears", 2) == "2 pears"


@pytest.mark.usefixtures("broken_catalog")
def test_fuzzy_entries_are_not_used() -> None:
    tr = Translator("nl")
    assert tr.t("Good morning") == "Good morning"
    assert tr.n("{count} plum", "{count} plums", 1) == "1 plum"
    assert tr.n("{count} plum", "{count} plums", 5) == "5 plums"
