"""Reflection questions for the PO: one from the week's own data, one from the contract's themes."""

from __future__ import annotations

from bot.kernel.i18n import N_, Translator
from handlers.coaching.digest import Digest

THEME_QUESTIONS = {
    "prioritising": N_(
        "Which request did you say 'no' or 'not now' to, and what made it easy or hard?"
    ),
    "value": N_("Which decision brought the product closer to the value customers are after?"),
    "stories": N_(
        "Which request was sharp enough to start on, and what was missing from the others?"
    ),
    "role": N_("Where did you step in, and was that yours to decide?"),
    "stakeholders": N_(
        "Whose voice weighed most in your decisions, and is that the balance you want?"
    ),
}
OPEN_THEME = N_("How did the theme '{theme}' show up in your work?")
FALLBACK = N_("What did you protect the team from, and what did you let through?")


def data_question(tr: Translator, digest: Digest) -> str | None:
    """A question about something that stood out in the PO's week, if anything did."""
    declined = digest.decisions.get("decline", 0)
    if declined and digest.shares:
        top = max(digest.shares, key=lambda share: share.requests)
        return tr.n(
            "You declined {count} request, {share}% of the week's requests came from {group}. "
            "How did you explain your decision?",
            "You declined {count} requests, {share}% of the week's requests came from {group}. "
            "How did you explain your decisions?",
            declined,
            share=tr.number(top.request_share, digits=1),
            group=top.group,
        )
    back_door = digest.by_source.get("back_door", 0)
    if back_door:
        return tr.n(
            "{count} request reached the team through the back door. "
            "How will you steer it to the front door?",
            "{count} requests reached the team through the back door. "
            "How will you steer them to the front door?",
            back_door,
        )
    if digest.median_hours_to_decision and digest.median_hours_to_decision > 72:
        return tr.t(
            "Requests waited {hours} hours for a decision (median). What held them up?",
            hours=tr.number(digest.median_hours_to_decision, digits=1),
        )
    return None


def theme_question(tr: Translator, themes: list[str], turn: int) -> str:
    """The contract's themes take turns, week by week."""
    if not themes:
        return tr.t(FALLBACK)
    theme = themes[turn % len(themes)]
    msgid = THEME_QUESTIONS.get(theme.lower())
    return tr.t(msgid) if msgid else tr.t(OPEN_THEME, theme=theme)


def weekly_question(tr: Translator, digest: Digest, themes: list[str], turn: int) -> str:
    parts = [tr.t("Time to look back on your week.")]
    data = data_question(tr, digest)
    if data:
        parts.append(data)
    parts.append(theme_question(tr, themes, turn))
    return " ".join(parts)


def session_question(tr: Translator, themes: list[str], turn: int) -> str:
    return " ".join(
        [
            tr.t("How was your coaching session? What will you try before the next one?"),
            theme_question(tr, themes, turn),
        ]
    )
