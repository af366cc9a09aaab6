"""Narrow repositories over SQLAlchemy: keyword-only lookups, no SQL outside this module."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from storage.coaching_repositories import CoachingRepository
from storage.db import READ_ONLY, dialect_insert, dialect_name, hold_exclusively, writer_lock
from storage.inbound_rows import add_on_postgresql
from storage.item_changes import ItemRow, written
from storage.memo import memo_of
from storage.models import (
    CANDIDATE_STATUSES,
    OPEN_STATUSES,
    UNDECIDED_STATUSES,
    AuditEntry,
    BacklogItem,
    CardItem,
    Decision,
    InboundRecord,
    InboundStatus,
    ItemStatus,
    OutboxMessage,
    Person,
    PlaygroundMessage,
    Request,
    TeamsTenant,
    TriageCorrection,
    TriageLabel,
    Workspace,
)
from storage.plan_changes import plan_again
from storage.tracker_repositories import TrackerRepository

_memo = memo_of


def _question_open_since(since: datetime) -> tuple[ColumnElement[bool], ...]:
    """An item whose question to its stakeholder, asked since then, still waits."""
    asked = func.coalesce(BacklogItem.decided_at, BacklogItem.created_at)
    return (
        BacklogItem.status == ItemStatus.NEEDS_INFO,
        BacklogItem.pending_question.is_not(None),
        asked >= since,
    )


class WorkspaceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, *, platform: str, external_id: str) -> Workspace | None:
        key = ("workspace", platform, external_id)
        memo = _memo(self._session)
        if (found := memo.get(key)) is not None:
            return found  # type: ignore[no-any-return]
        workspace = await self._session.scalar(
            select(Workspace).where(
                Workspace.platform == platform, Workspace.external_id == external_id
            )
        )
        if workspace is not None:
            memo[key] = workspace
        return workspace

    async def by_id(self, *, workspace_id: int) -> Workspace | None:
        return await self._session.get(Workspace, workspace_id)

    async def all(self, *, platform: str | None = None) -> Sequence[Workspace]:
        query = select(Workspace).order_by(Workspace.id)
        if platform is not None:
            query = query.where(Workspace.platform == platform)
        return (await self._session.scalars(query)).all()

    async def add(self, workspace: Workspace) -> Workspace:
        self._session.add(workspace)
        await self._session.flush()
        _memo(self._session)[("workspace", workspace.platform, workspace.external_id)] = workspace
        return workspace

    async def claim_review(self, *, workspace_id: int, slot: datetime) -> bool:
        """Move the workspace's last review to `slot` unless another process already did."""
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            update(Workspace)
            .where(
                Workspace.id == workspace_id,
                or_(Workspace.last_review_at.is_(None), Workspace.last_review_at < slot),
            )
            .values(last_review_at=slot)
        )
        return result.rowcount == 1

    async def due_for_tick(self, *, now: datetime) -> Sequence[int]:
        """The workspaces whose next scheduled moment has come (or whose plan changed)."""
        rows = await self._session.scalars(
            select(Workspace.id).where(Workspace.next_tick_at <= now).order_by(Workspace.id)
        )
        return rows.all()

    async def claim_tick(self, *, workspace_id: int, now: datetime, until: datetime) -> bool:
        """Take the workspace's due tick (another replica's claim shows as False); the claim
        lapses at `until`, so work that failed is tried again then."""
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            update(Workspace)
            .where(Workspace.id == workspace_id, Workspace.next_tick_at <= now)
            .values(next_tick_at=until)
        )
        return result.rowcount == 1

    async def schedule_tick(self, *, workspace_id: int, claimed: datetime, at: datetime) -> None:
        """Set the workspace's next moment, unless its plan changed since the claim (then it
        stays due, to be planned again)."""
        await self._session.execute(
            update(Workspace)
            .where(Workspace.id == workspace_id, Workspace.next_tick_at == claimed)
            .values(next_tick_at=at)
        )


class PersonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, *, workspace_id: int, user_id: str) -> Person | None:
        key = ("person", workspace_id, user_id)
        memo = _memo(self._session)
        if (found := memo.get(key)) is not None:
            return found  # type: ignore[no-any-return]
        person = await self._session.scalar(
            select(Person).where(
                Person.workspace_id == workspace_id, Person.platform_user_id == user_id
            )
        )
        if person is not None:
            memo[key] = person
        return person

    async def by_id(self, *, person_id: int) -> Person | None:
        return await self._session.get(Person, person_id)

    async def add(self, person: Person) -> Person:
        self._session.add(person)
        await self._session.flush()
        _memo(self._session)[("person", person.workspace_id, person.platform_user_id)] = person
        return person

    async def with_roles(self, *, workspace_id: int, roles: Sequence[str]) -> Sequence[Person]:
        return (
            await self._session.scalars(
                select(Person)
                .where(Person.workspace_id == workspace_id, Person.role.in_(roles))
                .order_by(Person.id)
            )
        ).all()

    async def in_workspace(self, *, workspace_id: int) -> Sequence[Person]:
        return (
            await self._session.scalars(
                select(Person).where(Person.workspace_id == workspace_id).order_by(Person.id)
            )
        ).all()


class InboundRepository:
    """The stored inbound events: the queue the workers claim their work from."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, *, platform: str, key: str) -> InboundRecord | None:
        return await self._session.scalar(
            select(InboundRecord).where(
                InboundRecord.platform == platform, InboundRecord.idempotency_key == key
            )
        )

    async def add_many(self, given: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
        """Store the rows (column values, the event as JSON text) in one statement; the
        (platform, key) of those that are new (a key seen before is left as it is)."""
        if not given:
            return set()
        rows = [_inbound_values(row) for row in given]
        # One statement with the rows as parameters (not a VALUES list built per batch): its
        # compiled form is cached, and the driver sends the rows in batches of its own.
        table = InboundRecord.__table__
        statement = (
            dialect_insert(self._session)(table)
            .on_conflict_do_nothing(index_elements=["platform", "idempotency_key"])
            .returning(table.c.platform, table.c.idempotency_key)
        )
        stored = await self._session.execute(statement, rows)
        return {(row[0], row[1]) for row in stored}

    async def claim(
        self,
        *,
        now: datetime,
        lease: timedelta,
        owner: str,
        limit: int,
        key: tuple[str, str] | None = None,
    ) -> Sequence[InboundRecord]:
        """Take up to ``limit`` inbounds that are due (pending, or working past their lease)
        and are not behind an unfinished earlier one of their conversation; on PostgreSQL rows
        another worker is taking are skipped. ``key`` takes just that one inbound."""
        earlier = aliased(InboundRecord)
        behind = exists().where(
            earlier.conversation_key == InboundRecord.conversation_key,
            earlier.id < InboundRecord.id,
            earlier.status.in_((InboundStatus.PENDING, InboundStatus.WORKING)),
        )
        due = or_(
            and_(
                InboundRecord.status == InboundStatus.PENDING,
                InboundRecord.next_attempt_at <= now,
            ),
            and_(InboundRecord.status == InboundStatus.WORKING, InboundRecord.claimed_until < now),
        )
        chosen = select(InboundRecord.id).where(due, ~behind)
        if key is not None:
            chosen = chosen.where(
                InboundRecord.platform == key[0], InboundRecord.idempotency_key == key[1]
            )
        chosen = chosen.order_by(InboundRecord.id).limit(limit)
        if dialect_name(self._session) == "postgresql":
            chosen = chosen.with_for_update(skip_locked=True)
        statement = (
            update(InboundRecord)
            .where(InboundRecord.id.in_(chosen.scalar_subquery()))
            .values(
                status=InboundStatus.WORKING,
                claimed_by=owner,
                claimed_until=now + lease,
                attempts=InboundRecord.attempts + 1,
            )
            .returning(InboundRecord)
            .execution_options(synchronize_session=False)
        )
        claimed = (await self._session.scalars(statement)).all()
        return sorted(claimed, key=lambda record: record.id)

    async def finish(self, *, record_id: int, owner: str, now: datetime) -> bool:
        """Mark a claimed inbound handled; False when the claim was lost (its lease ran out
        and another worker took it)."""
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            update(InboundRecord)
            .where(
                InboundRecord.id == record_id,
                InboundRecord.status == InboundStatus.WORKING,
                InboundRecord.claimed_by == owner,
            )
            .values(status=InboundStatus.DONE, processed_at=now, claimed_until=None)
        )
        return result.rowcount == 1

    async def finish_many(
        self, *, record_ids: Sequence[int], owner: str, now: datetime
    ) -> set[int]:
        """Mark claimed inbounds handled in one statement; the ids whose claim was still held."""
        done = await self._session.scalars(
            update(InboundRecord)
            .where(
                InboundRecord.id.in_(record_ids),
                InboundRecord.status == InboundStatus.WORKING,
                InboundRecord.claimed_by == owner,
            )
            .values(status=InboundStatus.DONE, processed_at=now, claimed_until=None)
            .returning(InboundRecord.id)
            .execution_options(synchronize_session=False)
        )
        return set(done.all())

    async def later(self, *, record_id: int, owner: str, at: datetime, error: str) -> bool:
        """Give a claimed inbound back, to be tried again at ``at``."""
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            update(InboundRecord)
            .where(InboundRecord.id == record_id, InboundRecord.claimed_by == owner)
            .values(
                status=InboundStatus.PENDING,
                next_attempt_at=at,
                claimed_by=None,
                claimed_until=None,
                error=error,
            )
        )
        return result.rowcount == 1

    async def release(self, *, owner: str) -> int:
        """Give back everything the owner holds, due at once (a worker that stops)."""
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            update(InboundRecord)
            .where(InboundRecord.status == InboundStatus.WORKING, InboundRecord.claimed_by == owner)
            .values(status=InboundStatus.PENDING, claimed_by=None, claimed_until=None)
        )
        return int(result.rowcount)

    async def fail(self, *, record_id: int, error: str, now: datetime) -> None:
        await self._session.execute(
            update(InboundRecord)
            .where(InboundRecord.id == record_id)
            .values(
                status=InboundStatus.FAILED,
                error=error,
                processed_at=now,
                claimed_by=None,
                claimed_until=None,
            )
        )

    async def counts(self) -> dict[str, int]:
        """How many inbounds are in each status (for the metrics)."""
        rows = await self._session.execute(
            select(InboundRecord.status, func.count()).group_by(InboundRecord.status)
        )
        return {str(status): int(count) for status, count in rows}


_INBOUND_COLUMNS = [c for c in InboundRecord.__table__.columns if c.key != "id"]


def _inbound_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every column's value, the event decoded for SQLAlchemy's JSON type."""
    values = {column.key: row.get(column.key) for column in _INBOUND_COLUMNS}
    values["event"] = json.loads(row["event"])
    return values


class BacklogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, request: Request, item: BacklogItem) -> BacklogItem:
        item.request = request  # one flush writes both, the request first
        self._session.add(item)
        await self._session.flush()
        return item

    async def by_id(self, *, item_id: int) -> BacklogItem | None:
        """Any workspace's item: for the runtime's workers, which act on a stored job."""
        return await self._session.get(BacklogItem, item_id)

    async def get(self, *, workspace_id: int, item_id: int) -> BacklogItem | None:
        return await self._session.scalar(
            select(BacklogItem).where(
                BacklogItem.workspace_id == workspace_id, BacklogItem.id == item_id
            )
        )

    async def get_for_update(self, *, workspace_id: int, item_id: int) -> BacklogItem | None:
        """The item, locked on PostgreSQL so two deciders cannot both win."""
        return await self._session.scalar(
            select(BacklogItem)
            .where(BacklogItem.workspace_id == workspace_id, BacklogItem.id == item_id)
            .with_for_update(of=BacklogItem)
        )

    async def open_items(self, *, workspace_id: int) -> Sequence[BacklogItem]:
        return await self._items(workspace_id, BacklogItem.status.in_(OPEN_STATUSES))

    async def queue(self, *, workspace_id: int) -> Sequence[BacklogItem]:
        return (
            await self._session.scalars(
                select(BacklogItem)
                .where(
                    BacklogItem.workspace_id == workspace_id,
                    BacklogItem.status.in_(UNDECIDED_STATUSES),
                )
                .order_by(BacklogItem.urgent.desc(), BacklogItem.id)
            )
        ).all()

    async def backlog(self, *, workspace_id: int, limit: int) -> Sequence[BacklogItem]:
        return (
            await self._session.scalars(
                select(BacklogItem)
                .where(
                    BacklogItem.workspace_id == workspace_id,
                    BacklogItem.status == ItemStatus.APPROVED,
                )
                .order_by(BacklogItem.rank, BacklogItem.id)
                .limit(limit)
            )
        ).all()

    async def of_stakeholder(self, *, person_id: int, limit: int) -> Sequence[BacklogItem]:
        return (
            await self._session.scalars(
                select(BacklogItem)
                .join(Request, BacklogItem.request_id == Request.id)
                .where(Request.stakeholder_id == person_id)
                .order_by(BacklogItem.id.desc())
                .limit(limit)
            )
        ).all()

    async def awaiting_answer(
        self, *, person_id: int, since: datetime, workspace_id: int | None = None
    ) -> BacklogItem | None:
        """The newest item of this stakeholder with a question asked since then still open;
        locked on PostgreSQL, so an answer and a decision at the same moment cannot both win.
        Given the workspace, who has a question open there is read once per transaction (a
        batch asks it of every event), and only they are looked up further."""
        if workspace_id is not None and not await self._may_await(workspace_id, person_id, since):
            return None
        # Asked of every direct message, and mostly there is none: the id alone first, the
        # item with its request and people (and the lock) only when there is one.
        item_id = await self._session.scalar(
            select(BacklogItem.id)
            .join(Request, BacklogItem.request_id == Request.id)
            .where(Request.stakeholder_id == person_id, *_question_open_since(since))
            .order_by(BacklogItem.id.desc())
            .limit(1)
        )
        if item_id is None:
            return None
        item = await self._session.scalar(
            select(BacklogItem)
            .where(
                BacklogItem.id == item_id,
                BacklogItem.status == ItemStatus.NEEDS_INFO,
                BacklogItem.pending_question.is_not(None),
            )
            .with_for_update(of=BacklogItem)
        )
        return item

    async def _may_await(self, workspace_id: int, person_id: int, since: datetime) -> bool:
        """Whether the person may have a question open: among those who had one when the
        transaction first asked (a later ``since`` only narrows it), or an item of this
        transaction may have asked one since."""
        memo = _memo(self._session)
        key = ("awaiting", workspace_id)
        if key not in memo:
            rows = await self._session.scalars(
                select(Request.stakeholder_id)
                .join(BacklogItem, BacklogItem.request_id == Request.id)
                .where(Request.workspace_id == workspace_id, *_question_open_since(since))
                .distinct()
            )
            memo[key] = set(rows.all())
        if person_id in memo[key]:
            return True
        return any(
            row.status == ItemStatus.NEEDS_INFO for row in written(self._session.sync_session)
        )

    async def candidate_versions(
        self, *, workspace_id: int, changed_since: datetime
    ) -> Sequence[Any]:
        """The id and changed_at of the workspace's items changed since then (no embeddings:
        the index reads whole rows only for versions it does not have)."""
        query = select(BacklogItem.id, BacklogItem.changed_at).where(
            BacklogItem.workspace_id == workspace_id, BacklogItem.changed_at >= changed_since
        )
        return (await self._session.execute(query)).all()

    async def candidate_rows(
        self,
        *,
        workspace_id: int,
        changed_since: datetime | None = None,
        ids: Sequence[int] | None = None,
        after_id: int = 0,
        limit: int | None = None,
    ) -> Sequence[Any]:
        """What the duplicate index keeps of the workspace's items (these, changed since then,
        or all open, a page at a time from ``after_id`` on): id, status, embedding and its
        model, type, urgency, words and title."""
        query = select(
            BacklogItem.id,
            BacklogItem.status,
            BacklogItem.embedding,
            BacklogItem.embedding_model,
            BacklogItem.type,
            BacklogItem.urgent,
            BacklogItem.words,
            BacklogItem.title,
            BacklogItem.changed_at,
        ).where(BacklogItem.workspace_id == workspace_id)
        if ids is not None:
            query = query.where(BacklogItem.id.in_(ids))
        elif changed_since is None:
            query = query.where(BacklogItem.status.in_(CANDIDATE_STATUSES))
        else:
            query = query.where(BacklogItem.changed_at >= changed_since)
        if after_id:
            query = query.where(BacklogItem.id > after_id)
        query = query.order_by(BacklogItem.id)
        if limit is not None:
            query = query.limit(limit)
        return (await self._session.execute(query)).all()

    async def workspaces_with_candidates(self) -> Sequence[int]:
        """The workspaces that have open items, those with most first."""
        rows = await self._session.execute(
            select(BacklogItem.workspace_id)
            .where(BacklogItem.status.in_(CANDIDATE_STATUSES))
            .group_by(BacklogItem.workspace_id)
            .order_by(func.count().desc())
        )
        return [int(row[0]) for row in rows]

    async def recent_checks(self, *, workspace_id: int, limit: int) -> list[bool]:
        """Whether each of the workspace's latest items asked the stakeholder a question,
        oldest first."""
        asked = (
            await self._session.scalars(
                select(BacklogItem.check_kind.is_not(None))
                .where(BacklogItem.workspace_id == workspace_id)
                .order_by(BacklogItem.id.desc())
                .limit(limit)
            )
        ).all()
        return [bool(flag) for flag in reversed(asked)]

    async def merged_into(self, *, item_id: int) -> Sequence[BacklogItem]:
        return await self._items_where(
            BacklogItem.duplicate_of_id == item_id, BacklogItem.status == ItemStatus.MERGED
        )

    async def rank_bounds(self, *, workspace_id: int) -> tuple[float | None, float | None]:
        row = (
            await self._session.execute(
                select(func.min(BacklogItem.rank), func.max(BacklogItem.rank)).where(
                    BacklogItem.workspace_id == workspace_id,
                    BacklogItem.status == ItemStatus.APPROVED,
                )
            )
        ).one()
        return row[0], row[1]

    async def due_deferred(self, *, now: datetime) -> Sequence[BacklogItem]:
        return await self._items_where(
            BacklogItem.status == ItemStatus.DEFERRED, BacklogItem.deferred_until <= now
        )

    async def requeue(self, *, item_id: int) -> BacklogItem | None:
        """Put a deferred item back in the queue; None when it is not deferred (any more)."""
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            update(BacklogItem)
            .where(BacklogItem.id == item_id, BacklogItem.status == ItemStatus.DEFERRED)
            .values(status=ItemStatus.QUEUED)  # deferred_until stays: when it came back
        )
        if result.rowcount != 1:
            return None
        item = await self._session.get(BacklogItem, item_id, populate_existing=True)
        if item is not None:
            await self._session.execute(plan_again(workspace_ids=[item.workspace_id]))
        return item

    async def all_with_requests(self, *, workspace_id: int | None) -> Sequence[BacklogItem]:
        query = select(BacklogItem).order_by(BacklogItem.id)
        if workspace_id is not None:
            query = query.where(BacklogItem.workspace_id == workspace_id)
        return (await self._session.scalars(query)).all()

    async def _items(self, workspace_id: int, condition: Any) -> Sequence[BacklogItem]:
        return await self._items_where(BacklogItem.workspace_id == workspace_id, condition)

    async def _items_where(self, *conditions: Any) -> Sequence[BacklogItem]:
        return (
            await self._session.scalars(
                select(BacklogItem).where(and_(*conditions)).order_by(BacklogItem.id)
            )
        ).all()


class TriageRepository:
    """The workspace's own labelled examples, and the corrections that made them."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def labels(self, *, workspace_id: int) -> Sequence[TriageLabel]:
        key = ("labels", workspace_id)
        memo = _memo(self._session)
        if key not in memo:
            memo[key] = (
                await self._session.scalars(
                    select(TriageLabel)
                    .where(TriageLabel.workspace_id == workspace_id)
                    .order_by(TriageLabel.id)
                )
            ).all()
        return memo[key]  # type: ignore[no-any-return]

    async def label_of(self, *, item_id: int) -> TriageLabel | None:
        return await self._session.scalar(select(TriageLabel).where(TriageLabel.item_id == item_id))

    async def add_label(self, label: TriageLabel) -> None:
        self._session.add(label)
        await self._session.flush()
        _memo(self._session).pop(("labels", label.workspace_id), None)

    async def add_correction(self, correction: TriageCorrection) -> None:
        self._session.add(correction)
        await self._session.flush()

    async def corrections(self, *, item_id: int) -> Sequence[TriageCorrection]:
        return (
            await self._session.scalars(
                select(TriageCorrection)
                .where(TriageCorrection.item_id == item_id)
                .order_by(TriageCorrection.id)
            )
        ).all()

    async def with_embedding_model_other_than(
        self, *, model: str, workspace_id: int | None, after_id: int, limit: int
    ) -> Sequence[BacklogItem]:
        """Items a new request may be compared with (open or on the backlog) whose stored
        embedding another model made, by id, a page at a time."""
        query = (
            select(BacklogItem)
            .where(
                BacklogItem.id > after_id,
                BacklogItem.status.in_(CANDIDATE_STATUSES),
                or_(BacklogItem.embedding_model.is_(None), BacklogItem.embedding_model != model),
            )
            .order_by(BacklogItem.id)
            .limit(limit)
        )
        if workspace_id is not None:
            query = query.where(BacklogItem.workspace_id == workspace_id)
        return (await self._session.scalars(query)).all()


class DecisionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, decision: Decision) -> None:
        self._session.add(decision)
        await self._session.flush()

    async def latest(self, *, item_id: int) -> Decision | None:
        return await self._session.scalar(
            select(Decision)
            .where(Decision.item_id == item_id)
            .order_by(Decision.id.desc())
            .limit(1)
        )


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, entry: AuditEntry) -> None:
        self._session.add(entry)
        await self._session.flush()

    async def entries(self, *, workspace_id: int | None = None) -> Sequence[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if workspace_id is not None:
            query = query.where(AuditEntry.workspace_id == workspace_id)
        return (await self._session.scalars(query)).all()


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, message: OutboxMessage, *, item_ids: Sequence[int] = ()) -> OutboxMessage:
        self._session.add(message)
        await self._session.flush()
        for item_id in item_ids:
            self._session.add(CardItem(outbox_id=message.id, item_id=item_id))
        return message

    async def get(self, *, message_id: int) -> OutboxMessage | None:
        return await self._session.get(OutboxMessage, message_id)

    async def get_for_update(self, *, message_id: int) -> OutboxMessage | None:
        return await self._session.scalar(
            select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
        )

    async def items_of_sent(
        self, *, platform: str, delivered_ref: str, recipient_id: int
    ) -> Sequence[int]:
        """The items a message sent to this person was about, by the reference its platform
        gave it (none when no such message was sent to them)."""
        return (
            await self._session.scalars(
                select(CardItem.item_id)
                .join(OutboxMessage, OutboxMessage.id == CardItem.outbox_id)
                .where(
                    OutboxMessage.platform == platform,
                    OutboxMessage.delivered_ref == delivered_ref,
                    OutboxMessage.recipient_id == recipient_id,
                )
            )
        ).all()

    async def show_items(self, *, outbox_id: int, item_ids: Sequence[int]) -> None:
        """The sent card shows these items now (another page of a list), no longer others."""
        await self._session.execute(delete(CardItem).where(CardItem.outbox_id == outbox_id))
        for item_id in item_ids:
            self._session.add(CardItem(outbox_id=outbox_id, item_id=item_id))

    async def cards_showing(self, *, item_id: int) -> Sequence[OutboxMessage]:
        """The sent cards showing the item, locked (in id order) on PostgreSQL: a card showing
        many items is rewritten by one change at a time, none lost."""
        return (
            await self._session.scalars(
                select(OutboxMessage)
                .join(CardItem, CardItem.outbox_id == OutboxMessage.id)
                .where(CardItem.item_id == item_id, OutboxMessage.kind == "send")
                .order_by(OutboxMessage.id)
                .with_for_update(of=OutboxMessage)
            )
        ).all()

    async def claim_due(
        self, *, now: datetime, lease: timedelta, limit: int
    ) -> Sequence[OutboxMessage]:
        """Take up to `limit` due messages for sending in one go, oldest first; on PostgreSQL
        rows another replica is claiming are skipped, not waited for."""
        due = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == "pending",
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        if dialect_name(self._session) == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = (await self._session.scalars(due)).all()
        if not ids:
            return []
        until = now + lease
        # A claim that is still there ran out unfinished (its holder died, or could not mark
        # the send): the message may have gone out, so the next holder looks for it first.
        lost = or_(OutboxMessage.check_before_send, OutboxMessage.claimed_until.is_not(None))
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(claimed_until=until, check_before_send=lost)
            .execution_options(synchronize_session=False)
        )
        return (
            await self._session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .order_by(OutboxMessage.id)
                .execution_options(populate_existing=True)
            )
        ).all()

    async def renew(self, *, ids: Sequence[int], held: Sequence[datetime], until: datetime) -> None:
        """Extend the claim on those of `ids` still held under one of the `held` leases."""
        await self._session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.status == "pending",
                OutboxMessage.claimed_until.in_(held),
            )
            .values(claimed_until=until)
            .execution_options(synchronize_session=False)
        )

    async def pending_count(self) -> int:
        return int(
            await self._session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "pending")
            )
            or 0
        )


class PlaygroundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, message: PlaygroundMessage) -> PlaygroundMessage:
        self._session.add(message)
        await self._session.flush()
        return message

    async def get(self, *, message_id: int) -> PlaygroundMessage | None:
        return await self._session.get(PlaygroundMessage, message_id)

    async def has_own(self, *, workspace: str, user_id: str, inbound_key: str) -> bool:
        """Whether the person's own message of this event is kept already."""
        found = await self._session.scalar(
            select(PlaygroundMessage.id).where(
                PlaygroundMessage.workspace == workspace,
                PlaygroundMessage.user_id == user_id,
                PlaygroundMessage.inbound_key == inbound_key,
            )
        )
        return found is not None

    async def inbox(
        self, *, workspace: str, user_id: str, after_id: int = 0
    ) -> Sequence[PlaygroundMessage]:
        return (
            await self._session.scalars(
                select(PlaygroundMessage)
                .where(
                    PlaygroundMessage.workspace == workspace,
                    PlaygroundMessage.user_id == user_id,
                    PlaygroundMessage.id > after_id,
                )
                .order_by(PlaygroundMessage.id)
            )
        ).all()


class TeamsTenantRepository:
    """Where each Teams tenant is reached: the serviceUrl its latest activity came with."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, *, tenant_id: str) -> TeamsTenant | None:
        return await self._session.get(TeamsTenant, tenant_id)

    async def remember(
        self, *, tenant_id: str, service_url: str, bot_id: str | None, seen_at: datetime
    ) -> bool:
        """Store the endpoint an activity sent at ``seen_at`` came with, unless the stored one
        came with a later activity (then nothing changes: False). A missing bot id keeps the
        one stored."""
        table = TeamsTenant.__table__
        insert = dialect_insert(self._session)(table).values(
            tenant_id=tenant_id, service_url=service_url, bot_id=bot_id, seen_at=seen_at
        )
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.tenant_id],
            set_={
                "service_url": insert.excluded.service_url,
                "bot_id": func.coalesce(insert.excluded.bot_id, table.c.bot_id),
                "seen_at": insert.excluded.seen_at,
            },
            where=insert.excluded.seen_at >= table.c.seen_at,
        ).returning(table.c.tenant_id)
        return (await self._session.execute(statement)).first() is not None


class UnitOfWork:
    """The repositories of one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.workspaces = WorkspaceRepository(session)
        self.people = PersonRepository(session)
        self.inbound = InboundRepository(session)
        self.backlog = BacklogRepository(session)
        self.decisions = DecisionRepository(session)
        self.triage = TriageRepository(session)
        self.audit = AuditRepository(session)
        self.outbox = OutboxRepository(session)
        self.playground = PlaygroundRepository(session)
        self.teams_tenants = TeamsTenantRepository(session)
        self.coaching = CoachingRepository(session)
        self.trackers = TrackerRepository(session)

    def uncommitted_items(self) -> Sequence[ItemRow]:
        """Backlog items written (flushed) in this transaction, as they were written: what a
        later request of the same transaction may repeat before the index hears of them."""
        return written(self.session.sync_session)

    async def exclusively(self, name: str) -> None:
        """From here to the end of this transaction, other replicas asking for `name` wait."""
        connection = await self.session.connection()
        await connection.run_sync(hold_exclusively, name)


class Database:
    """Hands out one transaction per use: committed when the block ends, rolled back on error."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, urgent: bool = False
    ) -> None:
        self._sessionmaker = sessionmaker
        bind = sessionmaker.kw.get("bind")
        self._url = str(bind.url) if bind is not None else ""
        # Whose writes go first on SQLite: storing inbound events before their ack.
        self._urgent = urgent
        self._postgresql = bind if bind is not None and bind.dialect.name == "postgresql" else None

    async def add_inbound(self, rows: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
        """Store inbound rows (column values), committed; the (platform, key) of the new
        ones. On PostgreSQL in one round trip, outside any transaction (storage.inbound_rows)."""
        if self._postgresql is not None:
            return await add_on_postgresql(self._postgresql, rows)
        async with self.transaction() as uow:
            return await uow.inbound.add_many(rows)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        lock = writer_lock(self._url) if self._url else None
        if lock is None:
            async with self._sessionmaker() as session, session.begin():
                yield UnitOfWork(session)
            return
        async with (
            lock.hold(urgent=self._urgent),
            self._sessionmaker() as session,
            session.begin(),
        ):
            yield UnitOfWork(session)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        """A unit that only reads: on SQLite it takes no write lock, so it never waits behind
        a writer nor holds one up. Writing in it is a mistake (SQLite refuses it then)."""
        async with self._sessionmaker() as session, session.begin():
            await session.connection(execution_options={READ_ONLY: True})
            yield UnitOfWork(session)
