"""The message catalog: every text a person reads, in English and Dutch.

Message ids are the English texts (gettext style) with str.format placeholders; the Dutch
translations live in bot/kernel/locale/nl/LC_MESSAGES/heatshield.po. At first use a language's
.po is compiled in memory into Babel's gettext `Translations`, which also knows the language's
plural forms ("1 request", "2 requests"); English, the language of the ids, needs no catalog.
Numbers shown to a person are written as their language writes them (0.84 or 0,84).
"""

from __future__ import annotations

import gettext
import io
import logging
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from bot.kernel.settings import LANGUAGES

log = logging.getLogger(__name__)
DOMAIN = "heatshield"
LOCALE_DIR = Path(__file__).parent / "locale"


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a text for the catalog without translating it yet."""
    return msgid


@cache
def catalog(language: str) -> Catalog:
    """The language's catalog as its translators wrote it: fuzzy entries (a guess that nobody
    checked) and untranslated ones included; an empty catalog when the language has none."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return Catalog(locale=language, domain=DOMAIN)
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def _usable(string: str | tuple[str, ...] | list[str] | None) -> bool:
    """A translation to use: every form of it written (a plural with one form left empty falls
    back to English as a whole, not half Dutch, half English)."""
    if isinstance(string, (tuple, list)):
        return all(string)
    return bool(string)


@cache
def _translations(language: str) -> gettext.NullTranslations:
    source = catalog(language)
    if not len(source):
        return NullTranslations()  # the ids are the English texts, with English plural rules
    usable = Catalog(locale=language, domain=DOMAIN)
    usable.mime_headers = source.mime_headers  # the Plural-Forms line among them
    for message in source:
        if message.id and not message.fuzzy and _usable(message.string):
            usable[message.id] = message
    compiled = io.BytesIO()
    write_mo(compiled, usable)  # fuzzy entries are left out
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def normalise_language(language: str | None, fallback: str = "en") -> str:
    """Map a platform locale ("nl-NL", "en_GB") onto a language the catalog has."""
    if language:
        code = language.replace("_", "-").split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return fallback


def format_number(language: str, value: float, digits: int | None = None) -> str:
    """A number as the reader's language writes it: 0.84 / 0,84, 1,234 / 1.234. With `digits`,
    exactly that many decimals; without, as many as it has (at most three)."""
    pattern = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, pattern, locale=normalise_language(language))


def translate(language: str, msgid: str, /, **params: object) -> str:
    language = normalise_language(language)
    text = _translations(language).gettext(msgid)
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        log.error("Catalog text %r in %s does not fit its parameters", msgid, language)
        return msgid.format(**params)


def translate_plural(
    language: str, singular: str, plural: str, count: int, /, **params: object
) -> str:
    """The form of the text that fits `count` in the reader's language; `{count}` in it is the
    count as the language writes numbers. A text the catalog lacks follows English rules."""
    language = normalise_language(language)
    text = _translations(language).ngettext(singular, plural, count)
    values = {**params, "count": format_number(language, count)}
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        log.error("Catalog text %r in %s does not fit its parameters", singular, language)
        return (singular if count == 1 else plural).format(**values)


class Translator:
    """Texts for one reader, in their own language."""

    def __init__(self, language: str) -> None:
        self.language = normalise_language(language)

    def t(self, msgid: str, /, **params: object) -> str:
        return translate(self.language, msgid, **params)

    def n(self, singular: str, plural: str, count: int, /, **params: object) -> str:
        """A text with a count in it: `tr.n("{count} request", "{count} requests", 1)`."""
        return translate_plural(self.language, singular, plural, count, **params)

    def number(self, value: float, digits: int | None = None) -> str:
        """A number for this reader: `tr.number(0.84, digits=2)` is 0,84 in Dutch."""
        return format_number(self.language, value, digits)
