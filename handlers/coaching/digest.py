"""The coach's weekly digest: how the PO's shield held this week, within what the contract allows.

The figures are computed from the database alone; what the coach may read depends on the
contract's confidentiality: `aggregate` figures only, `names` also stakeholders and titles,
`full` also the PO's reflections.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.kernel.errors import InvalidInputError
from bot.kernel.review_times import next_review, parse_review_times
from handlers.items import breaks_through
from storage.coaching_models import CoachingContract, Confidentiality
from storage.models import BacklogItem, Decision, Workspace
from storage.repositories import UnitOfWork

DECISION_ACTIONS = ("approve", "defer", "decline", "merge", "ask")
TREND_WEEKS = 8
SOURCES = ("direct", "channel", "back_door")
TYPES = ("incident", "bug", "feature", "question")


@dataclass(frozen=True)
class Share:
    group: str
    requests: int
    request_share: float  # percent of the week's requests
    approvals: int
    approval_share: float  # percent of the week's approvals
    desired: int | None  # the percent the PO wants, when set


@dataclass(frozen=True)
class ItemLine:
    id: int
    title: str
    stakeholder: str
    status: str


@dataclass(frozen=True)
class ReflectionLine:
    question: str
    answer: str


@dataclass(frozen=True)
class WeekFigures:
    """One week of the trajectory, for the trend."""

    week: str
    received: int
    back_door: int
    approved: int
    declined: int


@dataclass(frozen=True)
class Digest:
    workspace: str
    week: str
    start: str
    end: str
    confidentiality: str
    received: int
    by_source: dict[str, int]
    by_type: dict[str, int]
    decisions: dict[str, int]
    decided_items: int
    median_hours_to_decision: float | None
    shares: list[Share]
    # The week's first and last day in the workspace's time zone (ISO dates).
    first_day: str = ""
    last_day: str = ""
    # What the shield did: held for the review, or broke through to the PO at once.
    held_for_review: int = 0
    broke_through: int = 0
    back_door_share: float = 0.0  # percent of the week's requests
    # Of the week's first decisions: made by the day the stakeholder was promised, or later.
    heard_in_time: int = 0
    heard_late: int = 0
    # Requests the team's tracker says shipped this week, and the median time from request.
    shipped: int = 0
    median_days_to_shipped: float | None = None
    # The trajectory's weeks up to this one (at most TREND_WEEKS), oldest first.
    trend: list[WeekFigures] = field(default_factory=list)
    # Requests the stakeholders marked urgent themselves ("It's urgent"), per group.
    escalations: dict[str, int] = field(default_factory=dict)
    items: list[ItemLine] = field(default_factory=list)
    reflections: list[ReflectionLine] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_week(week: str) -> tuple[int, int]:
    """ "2026-W47" as (2026, 47)."""
    try:
        year_text, week_text = week.upper().split("-W")
        year, number = int(year_text), int(week_text)
        date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise InvalidInputError("week", f"'{week}' is not an ISO week like 2026-W47") from exc
    return year, number


def week_of(moment: datetime, timezone: str) -> str:
    year, number, _ = moment.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{number:02d}"


def week_bounds(week: str, timezone: str) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 in the workspace's time zone, as UTC moments."""
    year, number = parse_week(week)
    monday = date.fromisocalendar(year, number, 1)
    zone = ZoneInfo(timezone)
    start = datetime.combine(monday, time(0), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


async def build_digest(
    uow: UnitOfWork, workspace: Workspace, contract: CoachingContract, week: str
) -> Digest:
    start, end = week_bounds(week, workspace.timezone)
    received = list(
        await uow.coaching.requests_between(workspace_id=workspace.id, start=start, end=end)
    )
    # Only the week's decisions: the whole history grows with every week (a year: 25,000 rows).
    in_week = list(
        await uow.coaching.decisions_between(workspace_id=workspace.id, start=start, end=end)
    )
    first = await _first_decisions(uow, in_week, start)
    shipped = await uow.coaching.shipped_between(workspace_id=workspace.id, start=start, end=end)
    median = _median_hours(first)
    in_time = _heard_in_time(first, workspace)
    level = Confidentiality(contract.confidentiality)
    labels = await _stakeholder_labels(uow, received + [item for _, item in in_week], level)
    desired = {s.group_name: s.percent for s in await uow.coaching.desired_shares(
        workspace_id=workspace.id
    )}  # fmt: skip
    digest = Digest(
        workspace=workspace.name or workspace.external_id,
        week=week,
        start=start.isoformat(),
        end=end.isoformat(),
        confidentiality=level.value,
        received=len(received),
        by_source=_count((item.request.source for item in received), SOURCES),
        by_type=_count((item.type for item in received), TYPES),
        decisions=_count((d.action for d, _ in in_week), DECISION_ACTIONS),
        decided_items=len({item.id for d, item in in_week if d.action != "ask"}),
        median_hours_to_decision=median,
        shares=_shares(received, in_week, labels, desired),
        first_day=start.astimezone(ZoneInfo(workspace.timezone)).date().isoformat(),
        last_day=(end.astimezone(ZoneInfo(workspace.timezone)) - timedelta(days=1))
        .date()
        .isoformat(),
        held_for_review=sum(not breaks_through(item) for item in received),
        broke_through=sum(breaks_through(item) for item in received),
        back_door_share=_percent(
            sum(item.request.source == "back_door" for item in received), len(received)
        ),
        heard_in_time=in_time,
        heard_late=len(first) - in_time,
        trend=await week_trend(uow, workspace, contract, week),
        shipped=len(shipped),
        median_days_to_shipped=_median_days(shipped),
        escalations=dict(
            sorted(
                Counter(
                    labels[item.request.stakeholder_id]
                    for item in received
                    if item.escalated_at is not None
                ).items()
            )
        ),
    )
    if level in (Confidentiality.NAMES, Confidentiality.FULL):
        digest.items.extend(
            ItemLine(item.id, item.title, item.request.stakeholder.name, item.status)
            for item in received
        )
    if level is Confidentiality.FULL:
        answered = await uow.coaching.reflections_answered(
            contract_id=contract.id, start=start, end=end
        )
        digest.reflections.extend(ReflectionLine(r.question, r.answer or "") for r in answered)
    return digest


def _count(values: Any, keys: tuple[str, ...]) -> dict[str, int]:
    counted = Counter(values)
    return {key: counted.get(key, 0) for key in keys}


async def _first_decisions(
    uow: UnitOfWork, in_week: list[tuple[Decision, BacklogItem]], start: datetime
) -> list[tuple[Decision, BacklogItem]]:
    """The first decision of each item decided this week: an item's first decision falls in
    the week when it has one there and none before."""
    first: dict[int, tuple[Decision, BacklogItem]] = {}
    for decision, item in in_week:
        if decision.action != "ask" and item.id not in first:
            first[item.id] = (decision, item)
    earlier = await uow.coaching.decided_before(item_ids=list(first), before=start)
    return [pair for item_id, pair in first.items() if item_id not in earlier]


def _median_hours(first: list[tuple[Decision, BacklogItem]]) -> float | None:
    """Median time from request to its first decision (to the second: minutes must show)."""
    hours = [
        (decision.decided_at - item.request.received_at).total_seconds() / 3600
        for decision, item in first
    ]
    return round(statistics.median(hours), 4) if hours else None


def _median_days(shipped: Sequence[tuple[datetime, datetime]]) -> float | None:
    days = [(done - received).total_seconds() / 86400 for received, done in shipped]
    return round(statistics.median(days), 2) if days else None


def _heard_in_time(first: list[tuple[Decision, BacklogItem]], workspace: Workspace) -> int:
    """How many were decided by the day their stakeholder was told they would hear: the first
    review after the request came in (an urgent one: that same day)."""
    slots = parse_review_times(workspace.review_times)
    zone = ZoneInfo(workspace.timezone)
    in_time = 0
    for decision, item in first:
        received = item.request.received_at
        promised = received if breaks_through(item) else next_review(received, slots, zone.key)
        in_time += decision.decided_at.astimezone(zone).date() <= promised.astimezone(zone).date()
    return in_time


async def week_trend(
    uow: UnitOfWork, workspace: Workspace, contract: CoachingContract, week: str
) -> list[WeekFigures]:
    """The weeks of the trajectory up to this one (the last TREND_WEEKS), counted from a few
    columns of the span's requests and decisions."""
    zone = workspace.timezone
    _, end = week_bounds(week, zone)
    start = end - timedelta(weeks=TREND_WEEKS)
    if contract.start_date is not None:  # a contract not started yet has no trajectory before
        begun = datetime.combine(contract.start_date, time(12), ZoneInfo(zone))
        start = max(week_bounds(week_of(begun, zone), zone)[0], start)
    if start >= end:
        return []
    weeks: dict[str, Counter[str]] = {}
    moment = start
    while moment < end:
        weeks[week_of(moment, zone)] = Counter()
        moment += timedelta(weeks=1)
    for received_at, source in await uow.coaching.request_moments(
        workspace_id=workspace.id, start=start, end=end
    ):
        counts = weeks.setdefault(week_of(received_at, zone), Counter())
        counts["received"] += 1
        counts["back_door"] += source == "back_door"
    for decided_at, action in await uow.coaching.decision_moments(
        workspace_id=workspace.id, start=start, end=end
    ):
        weeks.setdefault(week_of(decided_at, zone), Counter())[action] += 1
    return [
        WeekFigures(name, c["received"], c["back_door"], c["approve"], c["decline"])
        for name, c in sorted(weeks.items())
    ]


async def _stakeholder_labels(
    uow: UnitOfWork, items: list[BacklogItem], level: Confidentiality
) -> dict[int, str]:
    """Each stakeholder's group, else their name, or an anonymous label under `aggregate`."""
    people = sorted({item.request.stakeholder_id for item in items})
    groups = await uow.coaching.groups(person_ids=people)
    names = {item.request.stakeholder_id: item.request.stakeholder.name for item in items}
    labels: dict[int, str] = {}
    anonymous = 0
    for person_id in people:
        if person_id in groups:
            labels[person_id] = groups[person_id]
        elif level is Confidentiality.AGGREGATE:
            anonymous += 1
            labels[person_id] = f"#{anonymous}"
        else:
            labels[person_id] = names[person_id]
    return labels


def _shares(
    received: list[BacklogItem],
    decided: list[tuple[Decision, BacklogItem]],
    labels: dict[int, str],
    desired: dict[str, int],
) -> list[Share]:
    requests = Counter(labels[item.request.stakeholder_id] for item in received)
    approvals = Counter(
        labels[item.request.stakeholder_id] for d, item in decided if d.action == "approve"
    )
    total_requests = sum(requests.values())
    total_approvals = sum(approvals.values())
    groups = sorted(set(requests) | set(approvals) | set(desired))
    return [
        Share(
            group=group,
            requests=requests.get(group, 0),
            request_share=_percent(requests.get(group, 0), total_requests),
            approvals=approvals.get(group, 0),
            approval_share=_percent(approvals.get(group, 0), total_approvals),
            desired=desired.get(group),
        )
        for group in groups
    ]


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0
