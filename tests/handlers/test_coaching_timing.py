"""A person's rhythm: working days, quiet hours, and local times across daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.kernel.errors import InvalidInputError
from handlers.coaching.timing import (
    Availability,
    at_local,
    parse_quiet_hours,
    parse_working_days,
)

AMSTERDAM = Availability(timezone="Europe/Amsterdam")


def test_working_days_in_english_and_dutch() -> None:
    assert parse_working_days("mon-fri") == frozenset({0, 1, 2, 3, 4})
    assert parse_working_days("ma,wo,vr") == frozenset({0, 2, 4})
    assert parse_working_days("fri-mon") == frozenset({4, 5, 6, 0})
    with pytest.raises(InvalidInputError, match="unknown day"):
        parse_working_days("someday")


def test_quiet_hours_range() -> None:
    assert parse_quiet_hours("18:00-08:00") == (time(18), time(8))
    with pytest.raises(InvalidInputError):
        parse_quiet_hours("evening")


def test_a_message_in_quiet_hours_waits_for_the_morning() -> None:
    # Tuesday 24 November 2026, 20:00 in Amsterdam (19:00 UTC).
    evening = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)
    assert AMSTERDAM.next_allowed(evening) == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def test_a_message_on_saturday_waits_for_monday_morning() -> None:
    saturday_noon = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    assert AMSTERDAM.next_allowed(saturday_noon) == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def test_an_allowed_moment_stays() -> None:
    tuesday_ten = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert AMSTERDAM.next_allowed(tuesday_ten) == tuesday_ten


def test_the_working_day_before_monday_is_friday() -> None:
    assert AMSTERDAM.working_day_before(date(2026, 11, 30)) == date(2026, 11, 27)


def test_local_morning_follows_daylight_saving() -> None:
    # 09:00 in Amsterdam is 08:00 UTC in winter and 07:00 UTC in summer.
    assert at_local(date(2026, 3, 27), time(9), "Europe/Amsterdam").hour == 8
    assert at_local(date(2026, 3, 30), time(9), "Europe/Amsterdam").hour == 7
    assert at_local(date(2026, 10, 23), time(9), "Europe/Amsterdam").hour == 7
    assert at_local(date(2026, 10, 26), time(9), "Europe/Amsterdam").hour == 8


def test_quiet_hours_end_in_local_time_in_the_dst_week() -> None:
    # Saturday night before the spring switch: the next allowed moment is Monday 08:00 CEST.
    saturday_night = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    assert AMSTERDAM.next_allowed(saturday_night) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
