"""The message catalog: every text in the code has a Dutch translation, placeholders intact."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from bot.kernel.i18n import catalog, normalise_language, translate
from handlers.triage import reason_texts as triage_messages

ROOT = Path(__file__).resolve().parents[3]
# The keywords of `make messages`: tr.t, N_, translate(language, msgid), and the plurals.
KEYWORDS = {"t": None, "N_": None, "translate": (2,), "n": (1, 2), "translate_plural": (2, 3)}


def _extracted() -> list[object]:
    return [
        message
        for package in ("bot", "handlers", "adapters")
        for _, _, message, _, _ in extract_from_dir(ROOT / package, keywords=KEYWORDS)
    ]


def texts_in_code() -> set[str]:
    found = {message for message in _extracted() if isinstance(message, str) and message}
    return found | set(triage_messages.ALL)


def plurals_in_code() -> set[tuple[str, str]]:
    return {
        (str(message[0]), str(message[1]))
        for message in _extracted()
        if isinstance(message, tuple) and len(message) == 2 and all(message)
    }


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_code_has_texts_to_translate() -> None:
    assert len(texts_in_code()) > 50


@pytest.mark.parametrize("msgid", sorted(texts_in_code()))
def test_every_text_has_a_dutch_translation_with_the_same_placeholders(msgid: str) -> None:
    entry = catalog("nl").get(msgid)
    dutch = entry.string if entry is not None and not entry.fuzzy else None
    assert dutch, f"no Dutch translation for {msgid!r}; run `make messages` and translate"
    assert isinstance(dutch, str), f"{msgid!r} is a plural in the catalog, not in the code"
    assert placeholders(dutch) == placeholders(msgid)


def test_the_code_has_plural_texts() -> None:
    assert (
        "{count} request waiting for a decision.",
        "{count} requests waiting for a decision.",
    ) in (plurals_in_code())


@pytest.mark.parametrize("texts", sorted(plurals_in_code()), ids=lambda texts: texts[1])
def test_every_plural_text_has_both_dutch_forms_with_the_same_placeholders(
    texts: tuple[str, str],
) -> None:
    singular, plural = texts
    entry = catalog("nl").get(singular)
    assert entry is not None and not entry.fuzzy, f"no Dutch plural for {plural!r}"
    assert entry.id == (singular, plural), f"the catalog's plural of {singular!r} differs"
    assert isinstance(entry.string, tuple) and len(entry.string) == 2
    one, many = entry.string
    assert one and many, f"a Dutch form of {plural!r} is missing"
    assert placeholders(one) == placeholders(singular)
    assert placeholders(many) == placeholders(plural)


def test_translate_fills_in_parameters_in_the_readers_language() -> None:
    assert translate("nl", "Merge into #{id}", id=7) == "Samenvoegen met #7"
    assert translate("en", "Merge into #{id}", id=7) == "Merge into #7"


def test_an_unknown_text_falls_back_to_english() -> None:
    assert translate("nl", "Not in the catalog {x}", x=1) == "Not in the catalog 1"


def test_platform_locales_map_onto_catalog_languages() -> None:
    assert normalise_language("nl-NL") == "nl"
    assert normalise_language("en_GB") == "en"
    assert normalise_language("de-DE", "nl") == "nl"
    assert normalise_language(None) == "en"
