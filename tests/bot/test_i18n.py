"""The message catalog: every text in the code has a Dutch translation, placeholders intact."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from bot.kernel.i18n import _catalog, normalise_language, translate
from handlers.triage import reason_texts as triage_messages

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"t": None, "N_": None, "translate": (2,)}


def texts_in_code() -> set[str]:
    found: set[str] = set()
    for package in ("bot", "handlers", "adapters"):
        for _, _, message, _, _ in extract_from_dir(ROOT / package, keywords=KEYWORDS):
            if isinstance(message, str) and message:
                found.add(message)
    return found | set(triage_messages.ALL)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_code_has_texts_to_translate() -> None:
    assert len(texts_in_code()) > 50


@pytest.mark.parametrize("msgid", sorted(texts_in_code()))
def test_every_text_has_a_dutch_translation_with_the_same_placeholders(msgid: str) -> None:
    dutch = _catalog("nl").get(msgid)
    assert dutch, f"no Dutch translation for {msgid!r}; run `make messages` and translate"
    assert placeholders(dutch) == placeholders(msgid)


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
