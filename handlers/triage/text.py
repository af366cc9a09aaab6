"""Plain-text helpers: normalising, cutting into sentences, titles and word counts."""

from __future__ import annotations

import re

MAX_ANALYSED_CHARS = 5000
TITLE_CHARS = 80

_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


def normalise(text: str) -> str:
    """Collapse runs of whitespace (newlines included) into single spaces."""
    return _SPACE.sub(" ", text).strip()


def analysed(text: str) -> str:
    """The part of a request the triage reads: normalised, at most MAX_ANALYSED_CHARS."""
    return clip(normalise(text), MAX_ANALYSED_CHARS)


def clip(text: str, limit: int) -> str:
    """The text cut to at most ``limit`` characters, at a word boundary where possible."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut


def sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text) if part.strip()]


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def snippet(text: str, limit: int) -> str:
    """The whole (normalised) text, cut at a word boundary to about ``limit`` characters."""
    clean = normalise(text)
    if len(clean) <= limit:
        return clean
    return clip(clean, limit - 1).rstrip(" ,;:-") + "…"


def title(text: str, limit: int = TITLE_CHARS) -> str:
    """The first sentence, shortened to about ``limit`` characters at a word boundary."""
    parts = sentences(text)
    first = parts[0] if parts else text
    if len(first) <= limit:
        return first
    return clip(first, limit - 1).rstrip(" ,;:-") + "…"
