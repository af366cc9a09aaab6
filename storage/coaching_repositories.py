"""Repositories of the coaching trajectory, the same narrow style as storage/repositories.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.coaching_models import (
    RETRYING,
    CoachingContract,
    CoachingSession,
    ContractProposal,
    DesiredShare,
    PersonPreferences,
    Prompt,
    Reflection,
    ScheduledSend,
)
from storage.db import dialect_insert
from storage.memo import memo_of
from storage.models import BacklogItem, Decision, Person, Request


class CoachingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def contract(
        self, *, workspace_id: int, po_id: int | None = None
    ) -> CoachingContract | None:
        query = select(CoachingContract).where(CoachingContract.workspace_id == workspace_id)
        if po_id is not None:
            query = query.where(CoachingContract.po_id == po_id)
        return await self._session.scalar(query.order_by(CoachingContract.id).limit(1))

    async def contract_by_id(self, *, contract_id: int) -> CoachingContract | None:
        return await self._session.get(CoachingContract, contract_id)

    async def contracts(self, *, workspace_id: int | None = None) -> Sequence[CoachingContract]:
        query = select(CoachingContract).order_by(CoachingContract.id)
        if workspace_id is not None:
            query = query.where(CoachingContract.workspace_id == workspace_id)
        return (await self._session.scalars(query)).all()

    async def contracts_involving(self, *, person_id: int) -> Sequence[CoachingContract]:
        return (
            await self._session.scalars(
                select(CoachingContract).where(
                    (CoachingContract.po_id == person_id) | (CoachingContract.coach_id == person_id)
                )
            )
        ).all()

    async def add(self, row: object) -> None:
        self._session.add(row)
        await self._session.flush()
        if isinstance(row, Prompt):  # who has one open is read again
            memo = memo_of(self._session)
            for key in [k for k in memo if isinstance(k, tuple) and k[0] == "prompted"]:
                del memo[key]

    async def drop_sessions(self, sessions: Sequence[CoachingSession]) -> None:
        """Delete these sessions (of a contract whose plan changed)."""
        for session in sessions:
            await self._session.delete(session)
        await self._session.flush()

    async def sessions(self, *, contract_id: int) -> Sequence[CoachingSession]:
        return (
            await self._session.scalars(
                select(CoachingSession)
                .where(CoachingSession.contract_id == contract_id)
                .order_by(CoachingSession.starts_at, CoachingSession.id)
            )
        ).all()

    async def session_by_id(self, *, session_id: int) -> CoachingSession | None:
        return await self._session.get(CoachingSession, session_id)

    async def reflection(self, *, contract_id: int, period: str) -> Reflection | None:
        return await self._session.scalar(
            select(Reflection).where(
                Reflection.contract_id == contract_id, Reflection.period == period
            )
        )

    async def reflection_by_id(self, *, reflection_id: int) -> Reflection | None:
        return await self._session.get(Reflection, reflection_id)

    async def reflections_answered(
        self, *, contract_id: int, start: datetime, end: datetime
    ) -> Sequence[Reflection]:
        return (
            await self._session.scalars(
                select(Reflection)
                .where(
                    Reflection.contract_id == contract_id,
                    Reflection.answered_at >= start,
                    Reflection.answered_at < end,
                )
                .order_by(Reflection.answered_at)
            )
        ).all()

    async def open_prompt(
        self, *, person_id: int, now: datetime, workspace_id: int | None = None
    ) -> Prompt | None:
        """The newest unanswered, unexpired prompt to this person. Given the workspace, who
        has one open there is read once per transaction (a batch asks it of every event; a
        prompt goes to few people, a PO or a coach), and only they are looked up further."""
        if workspace_id is not None:
            key = ("prompted", workspace_id)
            memo = memo_of(self._session)
            if key not in memo:
                memo[key] = set(
                    (
                        await self._session.scalars(
                            select(Prompt.person_id)
                            .join(Person, Person.id == Prompt.person_id)
                            .where(
                                Person.workspace_id == workspace_id,
                                Prompt.answered_at.is_(None),
                                Prompt.expires_at > now,
                            )
                            .distinct()
                        )
                    ).all()
                )
            if person_id not in memo[key]:
                return None
        return await self._session.scalar(
            select(Prompt)
            .where(
                Prompt.person_id == person_id,
                Prompt.answered_at.is_(None),
                Prompt.expires_at > now,
            )
            .order_by(Prompt.id.desc())
            .limit(1)
        )

    async def pending_proposal(self, *, proposal_id: int) -> ContractProposal | None:
        return await self._session.get(ContractProposal, proposal_id)

    async def pending_proposals(self, *, contract_id: int) -> Sequence[ContractProposal]:
        """The contract's changes still waiting for the other party, oldest first."""
        return (
            await self._session.scalars(
                select(ContractProposal)
                .where(
                    ContractProposal.contract_id == contract_id,
                    ContractProposal.status == "pending",
                )
                .order_by(ContractProposal.id)
            )
        ).all()

    async def desired_shares(self, *, workspace_id: int) -> Sequence[DesiredShare]:
        return (
            await self._session.scalars(
                select(DesiredShare)
                .where(DesiredShare.workspace_id == workspace_id)
                .order_by(DesiredShare.group_name)
            )
        ).all()

    async def replace_desired_shares(self, *, workspace_id: int, shares: Mapping[str, int]) -> None:
        """The workspace's desired shares become these (group name: percent), the others go."""
        for old in await self.desired_shares(workspace_id=workspace_id):
            await self._session.delete(old)
        await self._session.flush()
        for group, percent in shares.items():
            self._session.add(
                DesiredShare(workspace_id=workspace_id, group_name=group, percent=percent)
            )
        await self._session.flush()

    async def preferences(self, *, person_id: int) -> PersonPreferences | None:
        return await self._session.get(PersonPreferences, person_id)

    async def groups(self, *, person_ids: Sequence[int]) -> dict[int, str]:
        rows = await self._session.scalars(
            select(PersonPreferences).where(
                PersonPreferences.person_id.in_(person_ids),
                PersonPreferences.group_name.is_not(None),
            )
        )
        return {row.person_id: row.group_name for row in rows if row.group_name}

    async def claim_send(self, send: ScheduledSend) -> bool:
        """Record a scheduled send as settled (its outcome); False when it was settled already
        (by another replica). A send that failed before is settled in its row, whose count of
        failures stays."""
        try:
            async with self._session.begin_nested():
                self._session.add(send)
        except IntegrityError:
            # Its row is there: taken unless it is one still being tried. On PostgreSQL a
            # replica settling it at the same moment holds the row; this waits for that one
            # and then finds it settled.
            result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
                update(ScheduledSend)
                .where(ScheduledSend.key == send.key, ScheduledSend.outcome == RETRYING)
                .values(outcome=send.outcome, decided_at=send.decided_at)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1
        return True

    async def record_failure(
        self, *, key: str, kind: str, due_at: datetime, now: datetime, give_up_at: int
    ) -> int | None:
        """Count one more failed try of the send, in its row (shared by every replica, kept
        over a restart); at ``give_up_at`` failures it is settled as "failed". The count so
        far, or None when the send was settled meanwhile (another replica sent it)."""
        table = ScheduledSend.__table__
        insert = dialect_insert(self._session)(table).values(
            key=key, kind=kind, due_at=due_at, outcome=RETRYING, decided_at=now, failures=1
        )
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"failures": table.c.failures + 1, "decided_at": insert.excluded.decided_at},
            where=table.c.outcome == RETRYING,
        ).returning(table.c.failures)
        failures = (await self._session.execute(statement)).scalar()
        if failures is None:
            return None
        if failures >= give_up_at:
            await self._session.execute(
                update(ScheduledSend)
                .where(ScheduledSend.key == key, ScheduledSend.outcome == RETRYING)
                .values(outcome="failed", decided_at=now)
                .execution_options(synchronize_session=False)
            )
        return int(failures)

    async def send_record(self, *, key: str) -> ScheduledSend | None:
        return await self._session.scalar(select(ScheduledSend).where(ScheduledSend.key == key))

    async def claimed_keys(self, *, keys: Sequence[str]) -> set[str]:
        """Which of these sends some replica has already settled (sent, skipped or given up);
        one that failed and is tried again is not among them."""
        claimed: set[str] = set()
        for start in range(0, len(keys), 500):  # within every database's parameter limit
            chunk = keys[start : start + 500]
            rows = await self._session.scalars(
                select(ScheduledSend.key).where(
                    ScheduledSend.key.in_(chunk), ScheduledSend.outcome != RETRYING
                )
            )
            claimed.update(rows)
        return claimed

    async def requests_between(
        self, *, workspace_id: int, start: datetime, end: datetime
    ) -> Sequence[BacklogItem]:
        return (
            await self._session.scalars(
                select(BacklogItem)
                .join(Request, BacklogItem.request_id == Request.id)
                .where(
                    BacklogItem.workspace_id == workspace_id,
                    Request.received_at >= start,
                    Request.received_at < end,
                )
                .order_by(BacklogItem.id)
            )
        ).all()

    async def decisions_between(
        self, *, workspace_id: int, start: datetime, end: datetime
    ) -> Sequence[tuple[Decision, BacklogItem]]:
        """The workspace's decisions made from start until end, oldest first, with their items."""
        rows = await self._session.execute(
            select(Decision, BacklogItem)
            .join(BacklogItem, Decision.item_id == BacklogItem.id)
            .where(
                BacklogItem.workspace_id == workspace_id,
                Decision.decided_at >= start,
                Decision.decided_at < end,
            )
            .order_by(Decision.decided_at, Decision.id)
        )
        return [(row[0], row[1]) for row in rows]

    async def shipped_between(
        self, *, workspace_id: int, start: datetime, end: datetime
    ) -> Sequence[tuple[datetime, datetime]]:
        """When each request shipped in the span (its tracker said done) came in, and shipped."""
        rows = await self._session.execute(
            select(Request.received_at, BacklogItem.shipped_at)
            .join(BacklogItem, BacklogItem.request_id == Request.id)
            .where(
                BacklogItem.workspace_id == workspace_id,
                BacklogItem.shipped_at >= start,
                BacklogItem.shipped_at < end,
            )
        )
        return [(row[0], row[1]) for row in rows if row[1] is not None]

    async def request_moments(
        self, *, workspace_id: int, start: datetime, end: datetime
    ) -> Sequence[tuple[datetime, str]]:
        """When each request of the span came in, and by which way: a trend's few columns,
        without loading the items."""
        rows = await self._session.execute(
            select(Request.received_at, Request.source).where(
                Request.workspace_id == workspace_id,
                Request.received_at >= start,
                Request.received_at < end,
            )
        )
        return [(row[0], row[1]) for row in rows]

    async def decision_moments(
        self, *, workspace_id: int, start: datetime, end: datetime
    ) -> Sequence[tuple[datetime, str]]:
        """When each decision of the span was made, and which."""
        rows = await self._session.execute(
            select(Decision.decided_at, Decision.action)
            .join(BacklogItem, Decision.item_id == BacklogItem.id)
            .where(
                BacklogItem.workspace_id == workspace_id,
                Decision.decided_at >= start,
                Decision.decided_at < end,
            )
        )
        return [(row[0], row[1]) for row in rows]

    async def decided_before(self, *, item_ids: Sequence[int], before: datetime) -> set[int]:
        """Those of the items with a decision other than a question before that moment."""
        decided: set[int] = set()
        for start in range(0, len(item_ids), 500):  # within every database's parameter limit
            rows = await self._session.scalars(
                select(Decision.item_id)
                .distinct()
                .where(
                    Decision.item_id.in_(item_ids[start : start + 500]),
                    Decision.action != "ask",
                    Decision.decided_at < before,
                )
            )
            decided.update(rows)
        return decided
