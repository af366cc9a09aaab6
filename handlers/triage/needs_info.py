"""Whether a feature request says why: a benefit, a purpose, or the situation it fixes."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.triage import cues
from handlers.triage import messages as m
from handlers.triage.types import Reason


def needs_info(text: str, parts: Sequence[str]) -> tuple[bool, Reason]:
    """(True, why) when the request gives no reason, so the bot should ask for one."""
    benefit = cues.find(cues.BENEFIT, text)
    if benefit:
        return False, Reason(m.HAS_WHY, {"cue": benefit})
    context = _context_sentence(parts)
    if context:
        return False, Reason(m.HAS_CONTEXT, {"cue": cues.quote(context)})
    return True, Reason(m.NEEDS_INFO)


def _context_sentence(parts: Sequence[str]) -> str | None:
    """A statement next to the request itself ("We retype everything now."), if any."""
    if len(parts) < 2:
        return None
    statements = [part for part in parts if not _asks(part)]
    if not statements or len(statements) == len(parts):
        return None
    return statements[0]


def _asks(sentence: str) -> bool:
    return sentence.rstrip().endswith("?") or cues.find(cues.REQUEST, sentence) is not None
