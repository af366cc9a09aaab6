"""A few generic signals in English and Dutch: inputs to the learned model, and quotable reasons.

Each signal is a short list of patterns written from the labelling guide, not from any data
set. None of them decides anything alone: the model learns how much each one weighs next to
the text's embedding ("outage" in a question about last night's outage is still a question),
and the triage quotes the words that fired so the PO can see why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

QUOTE_WORDS = 8


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


@dataclass(frozen=True)
class Signal:
    name: str
    pattern: re.Pattern[str]

    def find(self, text: str) -> str | None:
        """The words that fired, as written (shortened), or None."""
        match = self.pattern.search(text)
        return quote(match.group(0)) if match else None


def quote(words: str, limit: int = QUOTE_WORDS) -> str:
    head = words.strip(" ,;:").split()
    return " ".join(head[:limit]) + (" …" if len(head) > limit else "")


# A service is down or unreachable: the guide's first kind of incident.
OUTAGE = Signal(
    "outage",
    _any(
        r"\boutages?\b",
        r"\b(?:is|are|went|goes|was|were) down\b",
        r"\b(?:unreachable|unavailable|offline)\b",
        r"\bstoring(?:en)?\b",
        r"\b(?:ligt|liggen) (?:er ?)?(?:uit|plat)\b",
        r"\b(?:is|zijn) plat\b",
        r"\b(?:onbereikbaar|niet bereikbaar)\b",
        r"\b5\d\d\b[^.!?\n]{0,20}\b(?:error|fout|bad gateway|unavailable)\b",
        r"\b(?:error|fout|http)[- ]?5\d\d\b",
    ),
)
# An attack, a leak or fraud: an incident whatever its size.
SECURITY = Signal(
    "security",
    _any(
        r"\b(?:data ?)?(?:breach|leak)(?:ed)?\b",
        r"\bdatalek\b",
        r"\b(?:hacked|gehackt|hacker|phishing|ransomware|malware)\b",
        r"\b(?:fraud|fraude)\b",
        r"\b(?:unauthori[sz]ed|onbevoegde?) (?:access|toegang)\b",
        r"\b(?:someone|somebody|another|other) (?:else'?s? )?"
        r"(?:customer|client|user|patient)s?'?s? (?:data|details|records|file|account)\b",
        r"\bvan (?:een )?andere (?:klant|klanten|gebruiker|patiënt|cliënt)\b",
        r"\bgegevens van (?:iemand anders|een ander)\b",
    ),
)
# Many people are affected.
MANY = Signal(
    "many",
    _any(
        r"\b(?:nobody|no one|everyone|everybody|(?:all|every) (?:our |the )?\w+)\b",
        r"\b(?:niemand|iedereen|(?:alle|elke|iedere) \w+|allemaal)\b",
        r"\b(?:not a single|geen enkele)\b",
        r"\b\d[\d.,]* (?:customers|users|people|orders|klanten|gebruikers|mensen)\b",
    ),
)
# It is happening now.
NOW = Signal(
    "now",
    _any(
        r"\b(?:right now|at the moment|since|this morning|for the (?:last|past) \w+)\b",
        r"\b(?:op dit moment|sinds|vanochtend|vanmorgen|vanmiddag|nu al)\b",
        r"\b\d{1,2}[:.]\d{2}\b",
    ),
)
# A hard date or a legal obligation.
DEADLINE = Signal(
    "deadline",
    _any(
        r"\b(?:deadline|legal(?:ly)?|law|regulator|fine|penalty|by (?:monday|tuesday|wednesday|"
        r"thursday|friday|tomorrow)|before (?:monday|tuesday|wednesday|thursday|friday))\b",
        r"\b(?:wettelijke?|wet|toezichthouder|boete|termijn|uiterlijk|vóór|voor (?:maandag|"
        r"dinsdag|woensdag|donderdag|vrijdag|morgen))\b",
    ),
)
# Asking for information.
QUESTION = Signal(
    "question",
    _any(
        r"\?\s*$",
        r"^\W*(?:what|how|when|why|which|who|where|is there|are there|do we|does|can i)\b",
        r"^\W*(?:wat|hoe|wanneer|waarom|welke|wie|waar|hoeveel|is er|zijn er|klopt het)\b",
    ),
)
# Asking for something new or changed.
REQUEST = Signal(
    "request",
    _any(
        r"\b(?:please|pls|could we|can we|can you|would like|we need|i need|add|allow)\b",
        r"\b(?:graag|aub|a\.u\.b\.|kunnen we|kun je|kunnen jullie|zou(?:den)? \w+ willen|"
        r"toevoegen|mogelijk maken)\b",
    ),
)
# A reason, a benefit or a problem it solves.
REASON = Signal(
    "reason",
    _any(
        r"\b(?:because|so that|so we|otherwise|in order to|since we|we now|currently|"
        r"by hand|manually|saves?|customers (?:keep|ask|complain))\b",
        r"\b(?:omdat|zodat|anders|want|nu moeten we|nu doen we|handmatig|met de hand|"
        r"scheelt|bespaart|klanten (?:bellen|vragen|klagen))\b",
    ),
)
# Shouting: the guide says it is not urgency on its own, so the model should learn its weight.
SHOUT = Signal(
    "shout",
    _any(r"\b(?:asap|urgent|spoed|dringend|prio ?1|z\.s\.m\.|zsm)\b", r"!{2,}"),
)
# "If it goes down, ...": a failure that may happen, not one that did.
HYPOTHETICAL = Signal(
    "hypothetical",
    _any(r"\b(?:what if|if|in case|what happens|als|wat als|stel dat|wat gebeurt er)\b"),
)

SIGNALS: tuple[Signal, ...] = (
    OUTAGE,
    SECURITY,
    MANY,
    NOW,
    DEADLINE,
    QUESTION,
    REQUEST,
    REASON,
    SHOUT,
    HYPOTHETICAL,
)
NAMES = tuple(signal.name for signal in SIGNALS)


_ASKING = re.compile(r"\?\s*$")


def alarm(parts: Sequence[str]) -> tuple[str, str] | None:
    """An outage or security word stated as fact: not in a question, not in an "if".
    (signal name, the words), or None."""
    for part in parts:
        if _ASKING.search(part) or HYPOTHETICAL.find(part):
            continue
        for signal in (OUTAGE, SECURITY):
            cue = signal.find(part)
            if cue:
                return signal.name, cue
    return None


def fired(text: str, parts: Sequence[str]) -> dict[str, str]:
    """Per signal that fired, the words it found; sentence by sentence for those anchored at
    a sentence's start or end."""
    found: dict[str, str] = {}
    for signal in SIGNALS:
        for part in (text, *parts):
            cue = signal.find(part)
            if cue:
                found[signal.name] = cue
                break
    return found
