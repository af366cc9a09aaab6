"""When a person may be messaged: their time zone, working days and quiet hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.kernel.errors import InvalidInputError
from bot.kernel.review_times import WEEKDAY_CODES, WEEKDAYS

DEFAULT_WORKING_DAYS = frozenset(range(5))  # Monday to Friday
DEFAULT_QUIET = (time(18, 0), time(8, 0))
MORNING = time(9, 0)


@dataclass(frozen=True)
class Availability:
    """A person's rhythm, read from their preferences with sensible defaults."""

    timezone: str
    working_days: frozenset[int] = DEFAULT_WORKING_DAYS
    quiet_start: time = DEFAULT_QUIET[0]
    quiet_end: time = DEFAULT_QUIET[1]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_quiet(self, local: time) -> bool:
        if self.quiet_start == self.quiet_end:
            return False
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end

    def allows(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return local.weekday() in self.working_days and not self.is_quiet(local.time())

    def next_allowed(self, moment: datetime) -> datetime:
        """The moment itself when allowed, else the first moment after it that is."""
        if self.allows(moment):
            return moment
        local = moment.astimezone(self.zone)
        day = local.date()
        for offset in range(15):
            candidate_day = day + timedelta(days=offset)
            if candidate_day.weekday() not in self.working_days:
                continue
            candidate = at_local(candidate_day, self.quiet_end, self.timezone)
            if candidate > moment and self.allows(candidate):
                return candidate
        return moment  # no working day at all: do not hold messages back forever

    def working_day_before(self, day: date) -> date:
        """The last working day before the given date."""
        for offset in range(1, 15):
            candidate = day - timedelta(days=offset)
            if candidate.weekday() in self.working_days:
                return candidate
        return day - timedelta(days=1)


def at_local(day: date, at: time, timezone: str) -> datetime:
    """A local date and time as a UTC moment (a time in a skipped hour moves on with the clock)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def parse_working_days(text: str) -> frozenset[int]:
    """ "mon-fri", "mon,tue,thu" or Dutch "ma-vr"."""
    days: set[int] = set()
    for part in text.replace(" ", "").lower().split(","):
        if not part:
            continue
        if "-" in part:
            first, last = (_weekday(name) for name in part.split("-", 1))
            span = (last - first) % 7
            days.update((first + step) % 7 for step in range(span + 1))
        else:
            days.add(_weekday(part))
    if not days:
        raise InvalidInputError("working days", "name at least one day, e.g. mon-fri")
    return frozenset(days)


def format_working_days(days: frozenset[int]) -> str:
    return ",".join(WEEKDAY_CODES[day] for day in sorted(days))


def _weekday(name: str) -> int:
    if name not in WEEKDAYS:
        raise InvalidInputError("working days", f"unknown day '{name}'")
    return WEEKDAYS[name]


def parse_clock(text: str, field: str) -> time:
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise InvalidInputError(field, f"'{text}' is not a time like 09:00") from exc


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """ "18:00-08:00": no messages from six in the evening until eight in the morning."""
    if "-" not in text:
        raise InvalidInputError("quiet hours", "give a range like 18:00-08:00")
    start, end = text.split("-", 1)
    return parse_clock(start, "quiet hours"), parse_clock(end, "quiet hours")
