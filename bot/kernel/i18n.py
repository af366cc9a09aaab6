"""The message catalog: every text a person reads, in English and Dutch.

Message ids are the English texts (gettext style) with str.format placeholders; the Dutch
translations live in bot/kernel/locale/nl/LC_MESSAGES/heatshield.po and are read with Babel.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from bot.kernel.settings import LANGUAGES

log = logging.getLogger(__name__)
DOMAIN = "heatshield"
LOCALE_DIR = Path(__file__).parent / "locale"


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a text for the catalog without translating it yet."""
    return msgid


@cache
def _catalog(language: str) -> dict[str, str]:
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def normalise_language(language: str | None, fallback: str = "en") -> str:
    """Map a platform locale ("nl-NL", "en_GB") onto a language the catalog has."""
    if language:
        code = language.replace("_", "-").split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return fallback


def translate(language: str, msgid: str, /, **params: object) -> str:
    text = _catalog(normalise_language(language)).get(msgid, msgid)
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        log.error("Catalog text %r in %s does not fit its parameters", msgid, language)
        return msgid.format(**params)


class Translator:
    """Texts for one reader, in their own language."""

    def __init__(self, language: str) -> None:
        self.language = normalise_language(language)

    def t(self, msgid: str, /, **params: object) -> str:
        return translate(self.language, msgid, **params)
