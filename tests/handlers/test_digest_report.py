"""The coach's digest as a report to forward: its dates and workspace, what the shield did,
durations as people say them, and a chart wholly in the reader's language with whole-number
axes and an empty week said in words."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bot.kernel.i18n import Translator
from handlers.coaching.digest import Digest, Share, WeekFigures
from handlers.coaching.report import digest_figure, digest_message
from handlers.texts import duration_text

WEEK = Digest(
    workspace="Acme Support",
    week="2026-W49",
    start="2026-11-29T23:00:00+00:00",
    end="2026-12-06T23:00:00+00:00",
    confidentiality="aggregate",
    received=4,
    by_source={"direct": 2, "channel": 1, "back_door": 1},
    by_type={"incident": 1, "bug": 1, "feature": 2, "question": 0},
    decisions={"approve": 2, "defer": 1, "decline": 0, "merge": 0, "ask": 0},
    decided_items=3,
    median_hours_to_decision=0.2,
    shares=[Share("Finance", 3, 75.0, 2, 100.0, 30), Share("#1", 1, 25.0, 0, 0.0, None)],
    first_day="2026-11-30",
    last_day="2026-12-06",
    held_for_review=3,
    broke_through=1,
    back_door_share=25.0,
    heard_in_time=2,
    heard_late=1,
    trend=[WeekFigures("2026-W48", 3, 0, 1, 1), WeekFigures("2026-W49", 4, 1, 2, 0)],
)
EMPTY = dataclasses.replace(
    WEEK,
    received=0,
    by_source=dict.fromkeys(WEEK.by_source, 0),
    by_type=dict.fromkeys(WEEK.by_type, 0),
    decisions=dict.fromkeys(WEEK.decisions, 0),
    decided_items=0,
    median_hours_to_decision=None,
    shares=[],
    held_for_review=0,
    broke_through=0,
    back_door_share=0.0,
    heard_in_time=0,
    heard_late=0,
    trend=[WeekFigures("2026-W49", 0, 0, 0, 0)],
)


def fields(message: Any) -> dict[str, str]:
    return {f.label: f.value for section in message.sections for f in section.fields}


def test_the_report_names_its_week_and_workspace_and_what_the_shield_did() -> None:
    message = digest_message(Translator("en"), WEEK, b"")

    assert message.text == (
        "Weekly digest for Acme Support: Monday 30 November to Sunday 6 December 2026 (week 49)."
    )
    titles = [section.title for section in message.sections]
    assert titles[:6] == [
        "What the shield did",
        "Where the requests came from",
        "What they were",
        "Decisions",
        "Influence: shares by stakeholder group",
        "The trajectory, week by week",
    ]
    shown = fields(message)
    assert shown["Held for the review"] == "3" and shown["Broke through at once"] == "1"
    assert shown["Reached the PO through the back door"] == "1 (25%)"
    assert shown["Stakeholders who heard by the promised day"] == "2 of 3"
    assert shown["Median time to a decision"] == "12 minutes"
    assert shown["week 48"] == "3 requests (0 through the back door), 1 approved, 1 declined"


def test_the_report_in_dutch() -> None:
    message = digest_message(Translator("nl"), WEEK, b"")

    assert message.text == (
        "Weekoverzicht voor Acme Support: maandag 30 november tot en met zondag 6 december 2026 "
        "(week 49)."
    )
    shown = fields(message)
    assert shown["Vastgehouden tot de review"] == "3"
    assert shown["Mediane tijd tot een besluit"] == "12 minuten"
    assert shown["Finance"].startswith("75,0% van de verzoeken")


def test_an_empty_week_reads_as_a_quiet_week() -> None:
    message = digest_message(Translator("en"), EMPTY, b"")

    [shield] = [s for s in message.sections if s.title == "What the shield did"]
    assert shield.text == "A quiet week: no requests came in."
    assert fields(message)["Median time to a decision"] == "no decisions yet"


@pytest.mark.parametrize(("hours", "said"), [
    (0.005, "under a minute"), (0.2, "12 minutes"), (1.0, "60 minutes"), (5.5, "5.5 hours"),
    (72.0, "3 days"),
])  # fmt: skip
def test_durations_read_as_people_say_them(hours: float, said: str) -> None:
    assert duration_text(Translator("en"), hours) == said


def panels(figure: Any) -> dict[str, Any]:
    return {axis.get_title(): axis for axis in figure.axes}


def tick_numbers(axis: Any) -> list[float]:
    low, high = axis.get_ylim()
    return [tick for tick in axis.get_yticks() if low <= tick <= high]


def test_the_chart_speaks_dutch_and_counts_in_whole_numbers() -> None:
    figure = digest_figure(Translator("nl"), WEEK)

    drawn = panels(figure)
    assert set(drawn) == {
        "Aandeel per stakeholdergroep", "Besluiten", "Het traject, week voor week",
    }  # fmt: skip
    decisions = drawn["Besluiten"]
    labels = [label.get_text() for label in decisions.get_xticklabels()]
    assert labels == ["Goedgekeurd", "Uitgesteld", "Afgewezen", "Samengevoegd", "Vragen gesteld"]
    for axis in (decisions, drawn["Het traject, week voor week"]):
        assert all(float(tick).is_integer() for tick in tick_numbers(axis)), "no 0.5 of a request"
    trend_labels = [
        label.get_text() for label in drawn["Het traject, week voor week"].get_xticklabels()
    ]
    assert trend_labels == ["week 48", "week 49"]
    assert "december" in figure.get_suptitle()


def test_an_empty_week_draws_words_not_an_axis_around_nothing() -> None:
    figure = digest_figure(Translator("en"), EMPTY)

    drawn = panels(figure)
    said = {text.get_text() for axis in figure.axes for text in axis.texts}
    assert {"No requests this week", "No decisions this week"} <= said
    low, high = drawn["Decisions"].get_ylim()
    assert low == 0 and high >= 1, "not -0.04 to 0.04"
    assert all(float(tick).is_integer() for tick in tick_numbers(drawn["Decisions"]))
