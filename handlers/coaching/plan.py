"""What the scheduler owes whom, and when: derived from the database alone on every tick.

Nothing is kept in APScheduler: every tick plans from the contracts, sessions and open requests,
and each planned send is claimed by its key in the `scheduled_sends` ledger in the same
transaction that writes its messages, so any replica may send it, and only one does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.kernel.review_times import next_review, parse_review_times
from handlers.coaching.digest import week_of
from handlers.coaching.timing import (
    MORNING,
    Availability,
    at_local,
    parse_clock,
    parse_quiet_hours,
    parse_working_days,
)
from handlers.context import language_of, timezone_of
from handlers.routing import DECIDER_ROLES
from storage.coaching_models import CoachingContract, CoachingSession
from storage.models import ItemStatus, Person, Workspace
from storage.repositories import UnitOfWork

# How far back a tick looks for sends that fell due while the bot was down.
LOOKBACK = timedelta(days=14)


class Kind(StrEnum):
    REMINDER_DAY = "reminder_day"
    REMINDER_HOUR = "reminder_hour"
    SESSION_SCOPE = "session_scope"
    REFLECTION_SESSION = "reflection_session"
    REFLECTION_WEEK = "reflection_week"
    DIGEST = "digest"
    EVALUATION = "evaluation"
    NUDGE = "nudge"


@dataclass(frozen=True)
class Recipient:
    """Someone in the workspace, or a coach outside it reached by e-mail."""

    person: Person | None
    email: str | None
    language: str
    availability: Availability

    @property
    def key(self) -> str:
        return f"p{self.person.id}" if self.person else f"e:{self.email}"

    @property
    def label(self) -> str:
        return self.person.name if self.person else str(self.email)


@dataclass(frozen=True)
class Planned:
    key: str
    kind: Kind
    due_at: datetime
    # After this moment the send no longer makes sense (a reminder for a session that started).
    expires_at: datetime | None
    recipient: Recipient
    workspace: Workspace
    contract: CoachingContract | None = None
    session: CoachingSession | None = None
    week: str | None = None
    item_id: int | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


async def recipient_for(uow: UnitOfWork, person: Person, workspace: Workspace) -> Recipient:
    preferences = await uow.coaching.preferences(person_id=person.id)
    availability = Availability(timezone=timezone_of(person, workspace))
    if preferences is not None:
        if preferences.working_days:
            days = parse_working_days(preferences.working_days)
            availability = replace(availability, working_days=days)
        if preferences.quiet_hours:
            start, end = parse_quiet_hours(preferences.quiet_hours)
            availability = replace(availability, quiet_start=start, quiet_end=end)
    return Recipient(person, None, language_of(person, workspace), availability)


def email_recipient(address: str, workspace: Workspace) -> Recipient:
    return Recipient(None, address, workspace.language, Availability(workspace.timezone))


async def coach_recipient(
    uow: UnitOfWork, contract: CoachingContract, workspace: Workspace
) -> Recipient | None:
    """The coach in chat when they are in the workspace, else by e-mail, else nobody."""
    if contract.coach is not None:
        return await recipient_for(uow, contract.coach, workspace)
    if contract.coach_email:
        return email_recipient(contract.coach_email, workspace)
    return None


async def plan(
    uow: UnitOfWork, now: datetime, horizon: timedelta, *, workspace: Workspace | None = None
) -> list[Planned]:
    """Every send due between LOOKBACK ago and `horizon` from now, soonest first (of one
    workspace, or of all)."""
    window = (now - LOOKBACK, now + horizon)
    planned: list[Planned] = []
    if workspace is not None:
        workspaces = {workspace.id: workspace}
    else:
        workspaces = {workspace.id: workspace for workspace in await uow.workspaces.all()}
    only = workspace.id if workspace is not None else None
    for contract in await uow.coaching.contracts(workspace_id=only):
        workspace = workspaces[contract.workspace_id]
        planned += await _contract_sends(uow, contract, workspace)
    for workspace in workspaces.values():
        planned += await _nudges(uow, workspace)
    return sorted(
        (p for p in planned if window[0] <= p.due_at <= window[1]), key=lambda p: p.due_at
    )


async def _contract_sends(
    uow: UnitOfWork, contract: CoachingContract, workspace: Workspace
) -> list[Planned]:
    po = await recipient_for(uow, contract.po, workspace)
    coach = await coach_recipient(uow, contract, workspace)
    sessions = list(await uow.coaching.sessions(contract_id=contract.id))
    sends: list[Planned] = []
    for index, session in enumerate(sessions):
        for person in (po, coach):
            if person is not None:
                sends += _reminders(contract, workspace, session, person)
        sends += _after_session(contract, workspace, session, po, coach, index, sessions)
    sends += _weekly(contract, workspace, po, coach, sessions)
    if len(sessions) >= contract.planned_sessions and sessions:
        sends += _evaluation(contract, workspace, sessions[-1], po, coach)
    return sends


def _reminders(
    contract: CoachingContract, workspace: Workspace, session: CoachingSession, who: Recipient
) -> list[Planned]:
    """The working day before, in the morning, and one hour before; both lapse at the start."""
    tz = who.availability.timezone
    local_day = session.starts_at.astimezone(who.availability.zone).date()
    day_before = who.availability.working_day_before(local_day)
    stamp = f"{session.id}:{session.starts_at:%Y%m%dT%H%M}:{who.key}"
    common = {"recipient": who, "workspace": workspace, "contract": contract, "session": session}
    return [
        Planned(
            key=f"reminder-day:{stamp}",
            kind=Kind.REMINDER_DAY,
            due_at=who.availability.next_allowed(at_local(day_before, MORNING, tz)),
            expires_at=session.starts_at,
            **common,  # type: ignore[arg-type]
        ),
        Planned(
            key=f"reminder-hour:{stamp}",
            kind=Kind.REMINDER_HOUR,
            due_at=session.starts_at - timedelta(hours=1),
            expires_at=session.starts_at,
            **common,  # type: ignore[arg-type]
        ),
    ]


def _after_session(
    contract: CoachingContract,
    workspace: Workspace,
    session: CoachingSession,
    po: Recipient,
    coach: Recipient | None,
    index: int,
    sessions: Sequence[CoachingSession],
) -> list[Planned]:
    """The PO's reflection on the session, and the question for the next session's scope."""
    end = session.starts_at + timedelta(minutes=session.duration_minutes)
    sends = [
        Planned(
            key=f"reflection-session:{session.id}",
            kind=Kind.REFLECTION_SESSION,
            due_at=po.availability.next_allowed(end + timedelta(minutes=30)),
            expires_at=end + timedelta(days=3),
            recipient=po,
            workspace=workspace,
            contract=contract,
            session=session,
        )
    ]
    if index + 1 < len(sessions):
        # The coach records the scope when they are in chat, else the PO does.
        asker = coach if coach is not None and coach.person is not None else po
        sends.append(
            Planned(
                key=f"session-scope:{session.id}",
                kind=Kind.SESSION_SCOPE,
                due_at=asker.availability.next_allowed(end),
                expires_at=sessions[index + 1].starts_at,
                recipient=asker,
                workspace=workspace,
                contract=contract,
                session=sessions[index + 1],
            )
        )
    return sends


def _trajectory_end(contract: CoachingContract, sessions: Sequence[CoachingSession]) -> date:
    if len(sessions) >= contract.planned_sessions and sessions:
        return (sessions[-1].starts_at + timedelta(days=7)).date()
    return (sessions[-1].starts_at.date() if sessions else contract.start_date) + timedelta(
        days=7 * 26
    )


def _weekly(
    contract: CoachingContract,
    workspace: Workspace,
    po: Recipient,
    coach: Recipient | None,
    sessions: Sequence[CoachingSession],
) -> list[Planned]:
    """The PO's weekly reflection at their chosen time; the coach's digest on Monday morning."""
    sends: list[Planned] = []
    end = _trajectory_end(contract, sessions)
    monday = contract.start_date - timedelta(days=contract.start_date.weekday())
    at = parse_clock(contract.reflection_time, "reflection")
    while monday <= end:
        day = monday + timedelta(days=contract.reflection_weekday)
        if day >= contract.start_date:
            due = po.availability.next_allowed(at_local(day, at, po.availability.timezone))
            week = week_of(due, po.availability.timezone)
            sends.append(
                Planned(
                    key=f"reflection-week:{contract.id}:{week}",
                    kind=Kind.REFLECTION_WEEK,
                    due_at=due,
                    expires_at=due + timedelta(days=2),
                    recipient=po,
                    workspace=workspace,
                    contract=contract,
                    week=week,
                )
            )
        if coach is not None:
            next_monday = monday + timedelta(days=7)
            due = coach.availability.next_allowed(
                at_local(next_monday, MORNING, coach.availability.timezone)
            )
            week = week_of(at_local(monday, MORNING, workspace.timezone), workspace.timezone)
            sends.append(
                Planned(
                    key=f"digest:{contract.id}:{week}",
                    kind=Kind.DIGEST,
                    due_at=due,
                    expires_at=due + timedelta(days=7),
                    recipient=coach,
                    workspace=workspace,
                    contract=contract,
                    week=week,
                )
            )
        monday += timedelta(days=7)
    return sends


def _evaluation(
    contract: CoachingContract,
    workspace: Workspace,
    last: CoachingSession,
    po: Recipient,
    coach: Recipient | None,
) -> list[Planned]:
    """The final evaluation once the last session of the contract has passed."""
    end = last.starts_at + timedelta(minutes=last.duration_minutes)
    return [
        Planned(
            key=f"evaluation:{contract.id}:{who.key}",
            kind=Kind.EVALUATION,
            due_at=who.availability.next_allowed(end + timedelta(hours=2)),
            expires_at=None,
            recipient=who,
            workspace=workspace,
            contract=contract,
        )
        for who in (po, coach)
        if who is not None
    ]


async def _nudges(uow: UnitOfWork, workspace: Workspace) -> list[Planned]:
    """A request still undecided after the day the stakeholder was promised an answer."""
    deciders = await uow.people.with_roles(workspace_id=workspace.id, roles=DECIDER_ROLES)
    if not deciders:
        return []
    slots = parse_review_times(workspace.review_times)
    recipients = [await recipient_for(uow, person, workspace) for person in deciders]
    sends: list[Planned] = []
    for item in await uow.backlog.queue(workspace_id=workspace.id):
        if item.status != ItemStatus.QUEUED:
            continue  # one waiting for the stakeholder's answer is not the PO's to nudge
        # Waiting since it came in, or since it came back (after a deferral or an answer).
        since = max(
            moment
            for moment in (item.request.received_at, item.decided_at, item.deferred_until)
            if moment is not None
        )
        promised = next_review(since, slots, workspace.timezone)
        promised_day = promised.astimezone(Availability(workspace.timezone).zone).date()
        for who in recipients:
            after = at_local(promised_day + timedelta(days=1), MORNING, workspace.timezone)
            sends.append(
                Planned(
                    key=f"nudge:{item.id}:{since:%Y%m%dT%H%M}:{who.key}",
                    kind=Kind.NUDGE,
                    due_at=who.availability.next_allowed(after),
                    expires_at=None,
                    recipient=who,
                    workspace=workspace,
                    item_id=item.id,
                )
            )
    return sends
