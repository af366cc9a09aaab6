"""Setting the coaching contract and its sessions, from the CLI or (with confirmation) in chat."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.kernel.errors import InvalidInputError, NotFoundError
from bot.kernel.review_times import WEEKDAY_CODES, WEEKDAYS
from handlers.coaching.timing import at_local, parse_clock
from handlers.context import Services, timezone_of
from handlers.people import ensure_person
from storage.coaching_models import CoachingContract, CoachingSession, Confidentiality
from storage.models import Person, Role, Workspace
from storage.repositories import UnitOfWork

DEFAULT_SESSIONS = 4
MIN_SESSIONS, MAX_SESSIONS = 1, 12
SESSION_TIME = time(10, 0)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
THEMES = ("prioritising", "value", "stories", "role", "stakeholders")


@dataclass(frozen=True)
class ContractSpec:
    coach: str | None = None
    email: str | None = None
    start: date | None = None
    every_days: int | None = None
    sessions: int | None = None
    confidentiality: str | None = None
    themes: Sequence[str] | None = None
    goals: str | None = None
    reflection: str | None = None  # "fri 16:00"

    def changes(self) -> dict[str, Any]:
        """The fields this spec sets, as JSON (for a proposal waiting for confirmation)."""
        values = {
            "coach": self.coach,
            "email": self.email,
            "start": self.start.isoformat() if self.start else None,
            "every_days": self.every_days,
            "sessions": self.sessions,
            "confidentiality": self.confidentiality,
            "themes": list(self.themes) if self.themes is not None else None,
            "goals": self.goals,
            "reflection": self.reflection,
        }
        return {key: value for key, value in values.items() if value is not None}

    @classmethod
    def from_changes(cls, changes: dict[str, Any]) -> ContractSpec:
        start = changes.get("start")
        return cls(
            coach=changes.get("coach"),
            email=changes.get("email"),
            start=date.fromisoformat(start) if start else None,
            every_days=changes.get("every_days"),
            sessions=changes.get("sessions"),
            confidentiality=changes.get("confidentiality"),
            themes=changes.get("themes"),
            goals=changes.get("goals"),
            reflection=changes.get("reflection"),
        )


@dataclass
class ContractView:
    """A contract in plain values, for the CLI and chat to show."""

    po: str
    coach: str | None
    email: str | None
    start: str
    every_days: int | None
    sessions: list[dict[str, Any]] = field(default_factory=list)
    planned_sessions: int = 0
    confidentiality: str = Confidentiality.AGGREGATE
    themes: list[str] = field(default_factory=list)
    reflection: str = ""


def parse_every(text: str) -> int:
    """ "2 weeks", "10 days", "week", or Dutch "2 weken" as a number of days."""
    match = re.fullmatch(
        r"\s*(?:every\s+|elke\s+|iedere\s+)?(\d+)?\s*(day|days|dag|dagen|week|weeks|weken)\s*",
        text.lower(),
    )
    if not match:
        raise InvalidInputError("every", f"'{text}' is not a cadence like '2 weeks'")
    count = int(match.group(1) or 1)
    days = count * (1 if match.group(2).startswith("d") else 7)
    if not 1 <= days <= 120:
        raise InvalidInputError("every", "a cadence between 1 day and 120 days")
    return days


def parse_reflection(text: str) -> tuple[int, str]:
    parts = text.split()
    if len(parts) != 2 or parts[0].lower() not in WEEKDAYS:
        raise InvalidInputError("reflection", f"'{text}' is not a day and time like 'fri 16:00'")
    at = parse_clock(parts[1], "reflection")
    return WEEKDAYS[parts[0].lower()], f"{at:%H:%M}"


def validate(spec: ContractSpec) -> None:
    if spec.email is not None and not EMAIL.match(spec.email):
        raise InvalidInputError("email", f"'{spec.email}' is not an e-mail address")
    if spec.sessions is not None and not MIN_SESSIONS <= spec.sessions <= MAX_SESSIONS:
        raise InvalidInputError("sessions", f"between {MIN_SESSIONS} and {MAX_SESSIONS}")
    if spec.confidentiality is not None and spec.confidentiality not in set(Confidentiality):
        raise InvalidInputError("confidentiality", "aggregate, names or full")
    if spec.reflection is not None:
        parse_reflection(spec.reflection)


async def po_of(uow: UnitOfWork, workspace: Workspace) -> Person:
    pos = await uow.people.with_roles(workspace_id=workspace.id, roles=[Role.PO])
    if not pos:
        raise NotFoundError("PO of workspace", workspace.external_id)
    return pos[0]


async def contract_of(uow: UnitOfWork, workspace: Workspace) -> CoachingContract:
    """The contract of the workspace's PO, or a clear error when there is none yet."""
    po = await po_of(uow, workspace)
    contract = await uow.coaching.contract(workspace_id=workspace.id, po_id=po.id)
    if contract is None:
        raise NotFoundError("coaching contract of workspace", workspace.external_id)
    return contract


async def set_contract(
    uow: UnitOfWork, services: Services, workspace: Workspace, spec: ContractSpec
) -> CoachingContract:
    """Create or change the PO's contract; a cadence plans the sessions that are still missing."""
    validate(spec)
    now = services.clock.now()
    po = await po_of(uow, workspace)
    contract = await uow.coaching.contract(workspace_id=workspace.id, po_id=po.id)
    if contract is None:
        if spec.start is None:
            raise InvalidInputError("start", "a new contract needs a start date")
        contract = CoachingContract(
            workspace_id=workspace.id,
            po_id=po.id,
            start_date=spec.start,
            planned_sessions=spec.sessions or DEFAULT_SESSIONS,
            themes=[],
            confidentiality=Confidentiality.AGGREGATE,
            reflection_weekday=4,
            reflection_time="16:00",
            created_at=now,
        )
        contract.po = po
        await uow.coaching.add(contract)
    await _apply(uow, workspace, contract, spec, now)
    if contract.cadence_days:
        if spec.every_days is not None or spec.start is not None:
            await _drop_unscoped_future_sessions(uow, contract, now)
        await plan_sessions(uow, contract, timezone_of(po, workspace), now)
    return contract


async def _apply(
    uow: UnitOfWork,
    workspace: Workspace,
    contract: CoachingContract,
    spec: ContractSpec,
    now: datetime,
) -> None:
    if spec.coach is not None:
        coach = await ensure_person(uow, workspace, spec.coach, now, role=Role.COACH)
        coach.role = Role.COACH
        contract.coach_id = coach.id
        contract.coach = coach
    if spec.email is not None:
        contract.coach_email = spec.email
    if spec.start is not None:
        contract.start_date = spec.start
    if spec.every_days is not None:
        contract.cadence_days = spec.every_days
    if spec.sessions is not None:
        contract.planned_sessions = spec.sessions
    if spec.confidentiality is not None:
        contract.confidentiality = spec.confidentiality
    if spec.themes is not None:
        contract.themes = [theme.strip() for theme in spec.themes if theme.strip()]
    if spec.goals is not None:
        contract.goals = spec.goals
    if spec.reflection is not None:
        contract.reflection_weekday, contract.reflection_time = parse_reflection(spec.reflection)


async def _drop_unscoped_future_sessions(
    uow: UnitOfWork, contract: CoachingContract, now: datetime
) -> None:
    """A new cadence or start re-plans what lies ahead; a session with a scope stays."""
    sessions = await uow.coaching.sessions(contract_id=contract.id)
    await uow.coaching.drop_sessions([s for s in sessions if s.starts_at > now and not s.scope])


async def plan_sessions(
    uow: UnitOfWork, contract: CoachingContract, timezone: str, now: datetime
) -> None:
    """Sessions every `cadence_days` from the start, at 10:00 in the PO's time zone."""
    assert contract.cadence_days
    sessions = await uow.coaching.sessions(contract_id=contract.id)
    planned = {session.starts_at for session in sessions}
    for number in range(len(sessions), contract.planned_sessions):
        day = contract.start_date + timedelta(days=number * contract.cadence_days)
        starts_at = at_local(day, SESSION_TIME, timezone)
        if starts_at not in planned:
            await uow.coaching.add(
                CoachingSession(
                    contract_id=contract.id, starts_at=starts_at, duration_minutes=60,
                    created_at=now,
                )
            )  # fmt: skip


@dataclass(frozen=True)
class AddedSession:
    """A session just planned, and what the one planning it should know about it."""

    session: CoachingSession
    in_the_past: bool
    overlaps: Sequence[CoachingSession]  # planned sessions at (about) the same time
    timezone: str  # the PO's, in which to show it


async def add_session(
    uow: UnitOfWork,
    services: Services,
    workspace: Workspace,
    starts_at: datetime,
    scope: str | None,
) -> AddedSession:
    if starts_at.tzinfo is None:
        raise InvalidInputError("at", "give a time zone, e.g. 2026-12-01T10:00+01:00")
    contract = await contract_of(uow, workspace)
    planned = await uow.coaching.sessions(contract_id=contract.id)
    overlaps = [
        other
        for other in planned
        if abs(other.starts_at - starts_at) < timedelta(minutes=other.duration_minutes)
    ]
    session = CoachingSession(
        contract_id=contract.id,
        starts_at=starts_at.astimezone(UTC),
        duration_minutes=60,
        scope=scope,
        created_at=services.clock.now(),
    )
    await uow.coaching.add(session)
    count = len(await uow.coaching.sessions(contract_id=contract.id))
    contract.planned_sessions = max(contract.planned_sessions, count)
    return AddedSession(
        session,
        in_the_past=starts_at < services.clock.now(),
        overlaps=overlaps,
        timezone=timezone_of(contract.po, workspace),
    )


async def view(uow: UnitOfWork, contract: CoachingContract) -> ContractView:
    sessions = await uow.coaching.sessions(contract_id=contract.id)
    return ContractView(
        po=contract.po.platform_user_id,
        coach=contract.coach.platform_user_id if contract.coach else None,
        email=contract.coach_email,
        start=contract.start_date.isoformat(),
        every_days=contract.cadence_days,
        sessions=[
            {"id": s.id, "starts_at": s.starts_at.isoformat(), "scope": s.scope} for s in sessions
        ],
        planned_sessions=contract.planned_sessions,
        confidentiality=contract.confidentiality,
        themes=list(contract.themes),
        reflection=f"{WEEKDAY_CODES[contract.reflection_weekday]} {contract.reflection_time}",
    )
