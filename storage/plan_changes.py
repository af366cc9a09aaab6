"""What the scheduler must plan again: a flush that touches what a workspace's schedule is made
of (its review times, people, requests, coaching contract, sessions or preferences) sets the
workspace's next tick back to PLAN_AGAIN, in the same transaction.

So the tick never reads an idle workspace, and never misses a change: the scheduler writes a
workspace's next moment only where nothing changed it since its claim (see
WorkspaceRepository.schedule_tick).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect, or_, select, update
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction
from sqlalchemy.sql import Update

from storage.coaching_models import CoachingContract, CoachingSession, PersonPreferences
from storage.models import PLAN_AGAIN, BacklogItem, Person, Workspace

# Workspaces this transaction marked already (forgotten when it ends or a savepoint rolls back).
MARKED = "heatshield_planned"
# Workspace columns the schedule is computed from.
PLANNED_FROM = ("review_times", "timezone")


def plan_again(
    *,
    workspace_ids: Iterable[int] = (),
    contract_ids: Iterable[int] = (),
    person_ids: Iterable[int] = (),
) -> Update:
    """The statement that marks these workspaces (directly, or by their contracts or people)
    to be planned at the next tick; rows already marked are not written again."""
    conditions: list[Any] = []
    if ids := sorted(set(workspace_ids)):
        conditions.append(Workspace.id.in_(ids))
    if ids := sorted(set(contract_ids)):
        conditions.append(
            Workspace.id.in_(
                select(CoachingContract.workspace_id).where(CoachingContract.id.in_(ids))
            )
        )
    if ids := sorted(set(person_ids)):
        conditions.append(Workspace.id.in_(select(Person.workspace_id).where(Person.id.in_(ids))))
    return (
        update(Workspace)
        .where(Workspace.next_tick_at > PLAN_AGAIN, or_(*conditions))
        .values(next_tick_at=PLAN_AGAIN)
        .execution_options(synchronize_session=False)
    )


@event.listens_for(Session, "after_flush")
def _plan_again_after_flush(session: Session, _context: UOWTransaction) -> None:
    workspaces: set[int] = set()
    contracts: set[int] = set()
    people: set[int] = set()
    changed = [*session.new, *session.deleted]
    changed += [row for row in session.dirty if session.is_modified(row)]
    for row in changed:
        if isinstance(row, Workspace):
            if _schedule_changed(row):
                workspaces.add(row.id)
        elif isinstance(row, (Person, BacklogItem, CoachingContract)):
            workspaces.add(row.workspace_id)
        elif isinstance(row, CoachingSession):
            contracts.add(row.contract_id)
        elif isinstance(row, PersonPreferences):
            people.add(row.person_id)
    marked: set[int] = session.info.setdefault(MARKED, set())
    workspaces -= marked  # a batch of requests to one workspace marks it once
    marked |= workspaces
    if workspaces or contracts or people:
        statement = plan_again(workspace_ids=workspaces, contract_ids=contracts, person_ids=people)
        session.connection().execute(statement)


@event.listens_for(Session, "after_commit")
def _forget_marks(session: Session) -> None:
    session.info.pop(MARKED, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_marks_on_rollback(session: Session, _previous: SessionTransaction) -> None:
    session.info.pop(MARKED, None)


def _schedule_changed(workspace: Workspace) -> bool:
    state = inspect(workspace)
    if state.pending or state.deleted or state.was_deleted:
        return False  # a new workspace starts as PLAN_AGAIN; a deleted one has no schedule
    return any(state.attrs[name].history.has_changes() for name in PLANNED_FROM)
