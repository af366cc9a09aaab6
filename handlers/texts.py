"""Dates, days and review rhythms put into words, in the reader's language and time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_day_names
from babel.lists import format_list

from bot.kernel.i18n import Translator
from bot.kernel.review_times import parse_review_times


def review_rhythm(tr: Translator, review_times: str) -> str:
    """ "Tuesday and Thursday at 09:00" for "tue,thu 09:00"."""
    slots = parse_review_times(review_times)
    names = get_day_names("wide", locale=tr.language)
    by_time: dict[str, list[str]] = {}
    for slot in slots:
        by_time.setdefault(f"{slot.at:%H:%M}", []).append(str(names[slot.weekday]))
    parts = [
        tr.t("{days} at {time}", days=format_list(days, locale=tr.language), time=at)
        for at, days in by_time.items()
    ]
    return format_list(parts, locale=tr.language)


def day_text(tr: Translator, moment: datetime, timezone: str) -> str:
    """ "Thursday 26 November" in the reader's time zone."""
    local = moment.astimezone(ZoneInfo(timezone))
    return format_date(local.date(), "EEEE d MMMM", locale=tr.language)


def moment_text(tr: Translator, moment: datetime, timezone: str) -> str:
    """ "Tuesday 8 December 10:00 CET": in the reader's time zone, which it names."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{format_datetime(local, 'EEEE d MMMM HH:mm', locale=tr.language)} {zone_label(local)}"


def clock_text(moment: datetime, timezone: str) -> str:
    """ "10:00 CET": the time of day in the reader's time zone, which it names."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%H:%M} {zone_label(local)}"


def zone_label(local: datetime) -> str:
    """The zone's abbreviation where it has one ("CET", "EST"), else its offset ("+0530")."""
    name = local.tzname() or ""
    return name if name.isalpha() else f"UTC{local:%z}"


def duration_text(tr: Translator, hours: float) -> str:
    """A duration as a person says it: "under a minute", "12 minutes", "5.5 hours", "3 days"."""
    minutes = hours * 60
    if minutes < 1:
        return tr.t("under a minute")
    if minutes < 90:
        return tr.n("{count} minute", "{count} minutes", round(minutes))
    if hours < 48:
        return tr.t("{hours} hours", hours=tr.number(hours, digits=1))
    return tr.n("{count} day", "{count} days", round(hours / 24))
