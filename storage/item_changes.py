"""Backlog items this process changed, told to whoever listens once the change is committed.

The in-memory duplicate index hears of its own process's new and changed items at once, without
reading them back; it reads the database only for what other replicas changed. Items are
snapshot at flush (as written), and handed on only after the commit: a rolled-back change is
never seen.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from storage.models import BacklogItem

PENDING = "heatshield_changed_items"


@dataclass(frozen=True)
class ItemRow:
    """What the duplicate index keeps of an item (the columns of candidate_rows)."""

    workspace_id: int
    id: int
    status: str
    embedding: bytes | None
    embedding_model: str | None
    type: str
    urgent: bool
    words: int
    title: str
    changed_at: datetime


Listener = Callable[[Sequence[ItemRow]], None]
_listeners: list[weakref.WeakMethod[Any]] = []


def subscribe(listener: Listener) -> None:
    """Hear of committed item changes; held weakly (a bound method of a live object)."""
    _listeners.append(weakref.WeakMethod(listener))


@event.listens_for(Session, "after_flush")
def _snapshot(session: Session, _context: UOWTransaction) -> None:
    rows = [
        _row(item)
        for item in (*session.new, *session.dirty)
        if isinstance(item, BacklogItem) and item.id is not None
    ]
    if rows:
        session.info.setdefault(PENDING, []).extend(rows)


def written(session: Session) -> Sequence[ItemRow]:
    """The items flushed in the session's transaction so far (not committed yet)."""
    rows: list[ItemRow] = session.info.get(PENDING, [])
    return tuple(rows)


@event.listens_for(Session, "after_commit")
def _tell(session: Session) -> None:
    rows = session.info.pop(PENDING, None)
    if not rows:
        return
    for reference in list(_listeners):
        listener = reference()
        if listener is None:
            _listeners.remove(reference)
        else:
            listener(rows)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)


def _row(item: BacklogItem) -> ItemRow:
    return ItemRow(
        workspace_id=item.workspace_id,
        id=item.id,
        status=str(item.status),
        embedding=item.embedding,
        embedding_model=item.embedding_model,
        type=str(item.type),
        urgent=bool(item.urgent),
        words=item.words or 0,
        title=item.title,
        changed_at=item.changed_at,
    )
