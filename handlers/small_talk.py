"""Small talk before intake: a greeting, thanks, an acknowledgement, a goodbye or "how are you"
gets a short, friendly answer and never becomes a request, nor the answer to an open question.

A message is small talk only when nothing is left of it once its small-talk phrases (English
and Dutch), a few filler words, emoji and punctuation are taken away: "Thanks! Could the
export also include VAT?" is a request, "Thanks Petra, see you next week!" is not. Anything
longer than SHORT words is never small talk: a request is never lost to this.
"""

from __future__ import annotations

import unicodedata

from bot.kernel.events import MessageEvent
from bot.kernel.i18n import N_
from handlers import outbox
from handlers.context import Context
from handlers.phrases import WORD, PhraseTable, words_of
from handlers.routing import Incoming, route

SHORT = 12
# Longest phrase first within each kind, so "thank you very much" wins over "thank you".
PHRASES: dict[str, tuple[str, ...]] = {
    "greeting": (
        "good morning", "good afternoon", "good evening", "hi there", "hello there",
        "hey there", "morning", "hello", "hiya", "hey", "hi", "yo",
        "goedemorgen", "goedemiddag", "goedenavond", "hallo", "hoi", "hai", "dag", "hee",
    ),
    "thanks": (
        "thank you very much", "thanks a lot", "thanks so much", "thank you", "many thanks",
        "thanks", "thx", "ty", "cheers", "much appreciated", "appreciated",
        "dank je wel", "dank u wel", "dankjewel", "dankuwel", "dank je", "dank u", "bedankt",
        "merci", "top bedankt", "heel erg bedankt", "super bedankt",
    ),
    "ack": (
        "sounds good", "got it", "will do", "all right", "no problem", "makes sense",
        "okay", "ok", "oke", "oké", "okee", "k", "great", "perfect", "cool", "nice",
        "noted", "alright", "sure", "fine", "awesome", "lovely", "good", "yes", "yep",
        "super", "prima", "top", "fijn", "helder", "duidelijk", "mooi", "goed", "ja",
        "klopt", "geen probleem", "is goed", "komt goed", "begrepen", "gezien", "akkoord",
    ),
    "farewell": (
        "see you next week", "see you tomorrow", "see you later", "see you soon", "see you",
        "have a nice weekend", "have a good weekend", "have a nice day", "have a good day",
        "talk soon", "bye for now", "goodbye", "bye", "later",
        "tot volgende week", "tot ziens", "tot later", "tot morgen", "tot straks", "tot zo",
        "fijn weekend", "prettig weekend", "fijne dag", "doei", "houdoe",
    ),
    "chat": (
        "how are you doing", "how are you", "how's it going", "hows it going", "what's up",
        "whats up", "how is your day", "hoe gaat het met je", "hoe gaat het", "alles goed",
        "hoe is het",
    ),
}  # fmt: skip
# Which answer a mixed message gets: "Hi, how are you?" is asked after; "Thanks, bye!" is a goodbye.
PRIORITY = ("chat", "farewell", "thanks", "greeting", "ack")
# Words that may go with small talk without making it a request.
FILLERS = frozenset((
    "so", "very", "much", "again", "for", "now", "that", "this", "the", "help", "your", "you",
    "all", "everyone", "team", "bot", "heatshield", "and", "too", "also", "a", "lot", "really",
    "guys", "folks", "voor", "de", "het", "je", "jij", "jullie", "u", "ook", "weer", "allemaal",
    "nogmaals", "hulp", "alvast", "heel", "erg", "en", "iedereen",
))  # fmt: skip
ANSWERS = {
    "greeting": N_("Hi! Send me a request whenever you have one; 'help' shows what I do."),
    "thanks": N_("You're welcome!"),
    "ack": N_("Good. I'm here whenever you need me."),
    "farewell": N_("See you!"),
    "chat": N_("All well here, thanks for asking. Tell me what you need, or say 'help'."),
}
TABLE = PhraseTable(PHRASES)


def kind_of(text: str) -> str | None:
    """The kind of small talk the whole message is ("greeting", "thanks", "ack", "farewell",
    "chat"), or None when anything else is in it."""
    words = words_of(text)
    if not words:
        # Only emoji or punctuation: a thumbs-up is an acknowledgement; nothing at all is not.
        return "ack" if any(unicodedata.category(ch) == "So" for ch in text) else None
    if len(words) > SHORT:
        return None
    kinds, leftover = TABLE.read(words)
    if not kinds:
        return None
    unknown = [word for word in leftover if word not in FILLERS]
    # One word besides (a name: "Thanks Petra") is allowed where it was written with a capital.
    if len(unknown) > 1 or (unknown and not _capitalised(text, unknown[0])):
        return None
    return min(kinds, key=PRIORITY.index)


def _capitalised(text: str, word: str) -> bool:
    return any(w[:1].isupper() and w.casefold() == word for w in WORD.findall(text))


async def small_talk(incoming: Incoming, ctx: Context) -> str | None:
    return kind_of(incoming.text)


@route("small talk", small_talk)
async def answer_small_talk(event: MessageEvent, ctx: Context, kind: str) -> None:
    await outbox.answer(ctx, event, ctx.tr.t(ANSWERS[kind]))
