"""Review times ("tue,thu 09:00") and when the next one falls, in a workspace's own time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.kernel.errors import InvalidInputError

WEEKDAYS = {
    "mon": 0, "monday": 0, "ma": 0, "maandag": 0,
    "tue": 1, "tuesday": 1, "di": 1, "dinsdag": 1,
    "wed": 2, "wednesday": 2, "wo": 2, "woensdag": 2,
    "thu": 3, "thursday": 3, "do": 3, "donderdag": 3,
    "fri": 4, "friday": 4, "vr": 4, "vrijdag": 4,
    "sat": 5, "saturday": 5, "za": 5, "zaterdag": 5,
    "sun": 6, "sunday": 6, "zo": 6, "zondag": 6,
}  # fmt: skip
WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, order=True)
class ReviewSlot:
    weekday: int  # Monday is 0
    at: time


def parse_review_times(spec: str) -> tuple[ReviewSlot, ...]:
    """Parse "tue,thu 09:00" or several groups separated by ";" ("mon 09:00; fri 14:30")."""
    slots: set[ReviewSlot] = set()
    for group in spec.split(";"):
        if group.strip():
            slots.update(_parse_group(group.strip()))
    if not slots:
        raise InvalidInputError("review times", "give days and a time, e.g. 'tue,thu 09:00'")
    return tuple(sorted(slots))


def _parse_group(group: str) -> list[ReviewSlot]:
    parts = group.rsplit(maxsplit=1)
    if len(parts) != 2:
        raise InvalidInputError("review times", f"'{group}' needs days and a time")
    days_text, time_text = parts
    at = _parse_time(time_text)
    slots = []
    for day in days_text.replace(" ", "").split(","):
        if day.lower() not in WEEKDAYS:
            raise InvalidInputError("review times", f"unknown day '{day}'")
        slots.append(ReviewSlot(WEEKDAYS[day.lower()], at))
    return slots


def _parse_time(text: str) -> time:
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise InvalidInputError("review times", f"'{text}' is not a time like 09:00") from exc


def format_review_times(slots: tuple[ReviewSlot, ...]) -> str:
    """The canonical text form: slots grouped by time, "tue,thu 09:00"."""
    by_time: dict[time, list[int]] = {}
    for slot in slots:
        by_time.setdefault(slot.at, []).append(slot.weekday)
    return "; ".join(
        ",".join(WEEKDAY_CODES[day] for day in sorted(days)) + f" {at:%H:%M}"
        for at, days in sorted(by_time.items())
    )


def _local_occurrence(day: date, at: time, zone: ZoneInfo) -> datetime:
    # fold=0 picks the first of a repeated hour; a skipped hour moves on by the DST gap.
    local = datetime.combine(day, at, tzinfo=zone)
    return local.astimezone(UTC)


def next_review(after: datetime, slots: tuple[ReviewSlot, ...], timezone: str) -> datetime:
    """The first review moment strictly after `after`, as a UTC datetime."""
    zone = ZoneInfo(timezone)
    start = after.astimezone(zone).date()
    for offset in range(8):
        day = start + timedelta(days=offset)
        for slot in sorted(slots, key=lambda s: s.at):
            if slot.weekday == day.weekday():
                moment = _local_occurrence(day, slot.at, zone)
                if moment > after:
                    return moment
    raise InvalidInputError("review times", "no review slot found")


def latest_review(at_or_before: datetime, slots: tuple[ReviewSlot, ...], timezone: str) -> datetime:
    """The last review moment at or before the given one, as a UTC datetime."""
    zone = ZoneInfo(timezone)
    start = at_or_before.astimezone(zone).date()
    for offset in range(8):
        day = start - timedelta(days=offset)
        for slot in sorted(slots, key=lambda s: s.at, reverse=True):
            if slot.weekday == day.weekday():
                moment = _local_occurrence(day, slot.at, zone)
                if moment <= at_or_before:
                    return moment
    raise InvalidInputError("review times", "no review slot found")
