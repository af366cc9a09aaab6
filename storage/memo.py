"""What a transaction has looked up already (a workspace, a person, a workspace's labels, who
has a question or a prompt open), kept in the session: a batch of events of one workspace
reads each once, and it ends with the transaction (at its commit or any rollback)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

MEMO = "heatshield_memo"


def memo_of(session: AsyncSession) -> dict[Any, Any]:
    memo: dict[Any, Any] = session.info.setdefault(MEMO, {})
    return memo


@event.listens_for(Session, "after_commit")
def _forget_memo(session: Session) -> None:
    session.info.pop(MEMO, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_memo_on_rollback(session: Session, _previous: SessionTransaction) -> None:
    session.info.pop(MEMO, None)  # a savepoint's rollback too: what it added is gone
