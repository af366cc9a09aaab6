"""A change to the coaching contract in plain words, in the reader's language: "a session
every 2 weeks; themes: the PO role and stakeholders", never "every_days: 14"."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from babel.dates import format_date, get_day_names
from babel.lists import format_list

from bot.kernel.i18n import N_, Translator
from bot.kernel.review_times import WEEKDAYS

THEME_NAMES = {
    "prioritising": N_("prioritising"),
    "value": N_("value"),
    "stories": N_("user stories"),
    "role": N_("the PO role"),
    "stakeholders": N_("stakeholders"),
}
CONFIDENTIALITY_WORDS = {
    "aggregate": N_("the coach's digest shows figures only"),
    "names": N_("the coach's digest also shows stakeholders' names and request titles"),
    "full": N_("the coach's digest also shows the PO's reflection answers"),
}


def describe(tr: Translator, changes: Mapping[str, object]) -> str:
    """Every change of a proposal, in one sentence's worth of parts."""
    parts = [WORDS[key](tr, value) for key, value in changes.items() if key in WORDS]
    return format_list(parts, locale=tr.language) if parts else "—"


def _every(tr: Translator, value: object) -> str:
    days = int(str(value))
    if days % 7 == 0:
        return tr.n("a session every week", "a session every {count} weeks", days // 7)
    return tr.n("a session every day", "a session every {count} days", days)


def _sessions(tr: Translator, value: object) -> str:
    return tr.n("{count} session in all", "{count} sessions in all", int(str(value)))


def _start(tr: Translator, value: object) -> str:
    day = format_date(date.fromisoformat(str(value)), "EEEE d MMMM y", locale=tr.language)
    return tr.t("starting on {day}", day=day)


def _themes(tr: Translator, value: object) -> str:
    themes = value if isinstance(value, list) else [value]
    names = [tr.t(THEME_NAMES[str(t)]) if str(t) in THEME_NAMES else str(t) for t in themes]
    return tr.t("themes: {themes}", themes=format_list(names, locale=tr.language))


def _confidentiality(tr: Translator, value: object) -> str:
    words = CONFIDENTIALITY_WORDS.get(str(value))
    return tr.t(words) if words else str(value)


def _reflection(tr: Translator, value: object) -> str:
    day, _, at = str(value).partition(" ")
    weekday = WEEKDAYS.get(day.lower())
    name = get_day_names("wide", locale=tr.language)[weekday] if weekday is not None else day
    return tr.t("reflection prompts on {day} at {time}", day=name, time=at)


def _goals(tr: Translator, value: object) -> str:
    return tr.t('goals: "{goals}"', goals=value)


def _coach(tr: Translator, value: object) -> str:
    return tr.t("coach: {coach}", coach=value)


def _email(tr: Translator, value: object) -> str:
    return tr.t("the digest by e-mail to {email}", email=value)


WORDS: dict[str, Callable[[Translator, object], str]] = {
    "coach": _coach,
    "email": _email,
    "start": _start,
    "every_days": _every,
    "sessions": _sessions,
    "confidentiality": _confidentiality,
    "themes": _themes,
    "goals": _goals,
    "reflection": _reflection,
}
