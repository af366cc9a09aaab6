"""Replies to the "why" question that are no answer: "no idea", "what do you mean?", "skip".

Such a reply is not stored as the request's reason. A stakeholder who is unsure is asked once
more, in other words; one who says "skip" (or is unsure a second time) has the request passed on
as it is, and the PO's card says that no reason was given. A reply is one of these only when
nothing else is in it (besides a few filler words and punctuation), so an answer that starts
with "I don't know, but ..." is still an answer.
"""

from __future__ import annotations

from handlers.phrases import PhraseTable, words_of

SHORT = 8
PHRASES: dict[str, tuple[str, ...]] = {
    "skip": (
        "skip", "skip it", "skip this", "skip that", "skip the question", "please skip",
        "no reason", "no particular reason", "no specific reason", "never mind", "nevermind",
        "just do it", "not important", "doesn't matter", "does not matter", "n a", "na",
        "no comment", "rather not say", "i'd rather not say", "pass",
        "overslaan", "sla over", "sla maar over", "geen reden", "geen specifieke reden",
        "laat maar", "maakt niet uit", "niet belangrijk", "gewoon doen", "nvt", "n v t",
        "geen commentaar",
    ),
    "unsure": (
        "i don't know", "i dont know", "don't know", "dont know", "i do not know", "not sure",
        "i'm not sure", "im not sure", "no idea", "no clue", "idk", "dunno", "what",
        "what do you mean", "what does that mean", "what question", "huh", "sorry", "hmm",
        "why", "why do you ask", "no", "nope", "pardon",
        "weet ik niet", "ik weet het niet", "ik weet niet", "weet niet", "geen idee",
        "geen flauw idee", "geen flauw benul", "wat bedoel je", "hoe bedoel je", "wat", "hè",
        "he", "hoezo", "waarom", "snap ik niet", "ik snap het niet", "niet zeker", "nee",
    ),
}  # fmt: skip
FILLERS = frozenset((
    "really", "just", "um", "uh", "er", "well", "oh", "sorry", "actually", "please",
    "eigenlijk", "echt", "gewoon", "maar", "eh", "uhm", "nou", "sorry", "hoor", "even",
))  # fmt: skip
TABLE = PhraseTable(PHRASES)


def non_answer(text: str) -> str | None:
    """ "skip" or "unsure" when the whole reply is one of those, else None (an answer)."""
    words = words_of(text)
    if not words:
        # Only punctuation ("?", "??"): a question back.
        return "unsure" if "?" in text else None
    if len(words) > SHORT:
        return None
    kinds, leftover = TABLE.read(words)
    if not kinds or any(word not in FILLERS for word in leftover):
        return None
    return "skip" if "skip" in kinds else "unsure"
