"""Messages read as a whole against a table of phrases (small talk, replies to the "why"
question that are no answer): the words, and the run of known phrases they make, longest
phrase first, with what is left over."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

WORD = re.compile(r"[\w']+")


def words_of(text: str) -> list[str]:
    """The message's words, lower case, quotes around them dropped ("n/a" is "n", "a")."""
    found = WORD.findall(text.casefold().replace("/", " "))
    return [word.strip("'") for word in found if word.strip("'")]


class PhraseTable:
    def __init__(self, phrases: Mapping[str, Iterable[str]]) -> None:
        entries = [(kind, tuple(p.split())) for kind, group in phrases.items() for p in group]
        # Longest first, so "thank you very much" wins over "thank you".
        self._entries = sorted(entries, key=lambda entry: -len(entry[1]))

    def read(self, words: list[str]) -> tuple[list[str], list[str]]:
        """The kinds of the phrases the words make, in order, and the words no phrase took."""
        kinds: list[str] = []
        leftover: list[str] = []
        at = 0
        while at < len(words):
            match = next(
                (e for e in self._entries if tuple(words[at : at + len(e[1])]) == e[1]), None
            )
            if match is not None:
                kinds.append(match[0])
                at += len(match[1])
            else:
                leftover.append(words[at])
                at += 1
        return kinds, leftover
