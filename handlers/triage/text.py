"""Plain-text helpers: normalising, cutting into sentences, titles and word counts."""

from __future__ import annotations

import re

MAX_ANALYSED_CHARS = 5000
MAX_EMBEDDED_CHARS = 2000
TITLE_CHARS = 80

_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


def normalise(text: str) -> str:
    """Collapse runs of whitespace (newlines included) into single spaces."""
    return _SPACE.sub(" ", text).strip()


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


def title(text: str) -> str:
    """The first sentence, shortened to about TITLE_CHARS characters at a word boundary."""
    parts = sentences(text)
    first = parts[0] if parts else text
    if len(first) <= TITLE_CHARS:
        return first
    return clip(first, TITLE_CHARS - 1).rstrip(" ,;:-") + "…"
