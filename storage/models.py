"""The database model: SQLAlchemy 2 declarative classes, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime, TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores timezone-aware datetimes as UTC; SQLite hands back naive ones, so re-attach UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime}  # noqa: RUF012


class Role(StrEnum):
    PO = "po"
    DELEGATE = "delegate"
    COACH = "coach"
    MEMBER = "member"
    STAKEHOLDER = "stakeholder"


class Source(StrEnum):
    DIRECT = "direct"
    CHANNEL = "channel"
    BACK_DOOR = "back_door"


class ItemType(StrEnum):
    INCIDENT = "incident"
    BUG = "bug"
    FEATURE = "feature"
    QUESTION = "question"


class ItemStatus(StrEnum):
    QUEUED = "queued"
    NEEDS_INFO = "needs_info"
    APPROVED = "approved"
    DEFERRED = "deferred"
    DECLINED = "declined"
    MERGED = "merged"
    DONE = "done"


OPEN_STATUSES = (ItemStatus.QUEUED, ItemStatus.NEEDS_INFO, ItemStatus.DEFERRED)
UNDECIDED_STATUSES = (ItemStatus.QUEUED, ItemStatus.NEEDS_INFO)
# What a new request may duplicate: open items and those on the backlog.
CANDIDATE_STATUSES = (*OPEN_STATUSES, ItemStatus.APPROVED)


# The scheduler's "look at this workspace at the next tick".
PLAN_AGAIN = datetime(1970, 1, 1, tzinfo=UTC)


class Workspace(Base):
    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    review_times: Mapped[str] = mapped_column(String(255))
    # The latest review slot whose batch went out; the scheduler claims a slot by moving it.
    last_review_at: Mapped[datetime | None]
    # When the scheduler next has work here (a review, a coaching send, a nudge). Anything that
    # changes what is planned sets it back to PLAN_AGAIN, so an idle workspace costs a tick
    # nothing: the tick reads only the workspaces whose moment has come.
    next_tick_at: Mapped[datetime] = mapped_column(default=lambda: PLAN_AGAIN, index=True)
    created_at: Mapped[datetime]


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("workspace_id", "platform_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    platform_user_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(16), default=Role.STAKEHOLDER)
    # Where to reach this person one-to-one (a DM), as a serialised ConversationRef.
    direct_conversation: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    # The outbox row of the triage-queue list this person has open: paging rewrites it, and a
    # new `queue` replaces it. No foreign key: outbox rows refer to people already, and a list
    # that is gone is simply posted anew.
    queue_card_id: Mapped[int | None]

    workspace: Mapped[Workspace] = relationship(lazy="joined", innerjoin=True)

    @property
    def name(self) -> str:
        return self.display_name or self.platform_user_id


class InboundStatus(StrEnum):
    PENDING = "pending"  # stored, waiting for a worker (again, after a failure that may pass)
    WORKING = "working"  # claimed by a worker until `claimed_until`
    DONE = "done"
    FAILED = "failed"  # given up: its own content can never be handled


class InboundRecord(Base):
    """Every inbound event as it arrived, committed before the platform is acknowledged: the
    queue the workers take their work from, in order per conversation."""

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("platform", "idempotency_key"),
        Index("ix_inbound_events_claim", "status", "next_attempt_at"),
        Index("ix_inbound_events_conversation", "conversation_key", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    workspace_external_id: Mapped[str] = mapped_column(String(255))
    # Events of one conversation are handled one after the other, in the order they came.
    conversation_key: Mapped[str] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(32))
    event: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default=InboundStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]


class Request(Base):
    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    stakeholder_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    text: Mapped[str] = mapped_column(Text)
    clarification: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    # Where the stakeholder asked: the outcome is told there.
    conversation: Mapped[dict[str, Any]]
    inbound_key: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime]

    stakeholder: Mapped[Person] = relationship(foreign_keys=[stakeholder_id], lazy="joined")
    forwarded_by: Mapped[Person | None] = relationship(
        foreign_keys=[forwarded_by_id], lazy="joined"
    )


def _now() -> datetime:
    return datetime.now(UTC)


class BacklogItem(Base):
    __tablename__ = "backlog_items"
    __table_args__ = (
        Index("ix_backlog_items_workspace_status", "workspace_id", "status"),
        Index("ix_backlog_items_workspace_changed", "workspace_id", "changed_at"),
        Index("ix_backlog_items_status_deferred", "status", "deferred_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool]
    needs_info: Mapped[bool]
    rank: Mapped[float | None]
    status: Mapped[str] = mapped_column(String(16))
    deferred_until: Mapped[datetime | None]
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("backlog_items.id"))
    duplicate_score: Mapped[float | None]
    reasons: Mapped[list[Any]]
    # The embedding compared with later requests, as float32 bytes, and the model that made
    # it: only embeddings of one model are compared.
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    embedding_model: Mapped[str | None] = mapped_column(String(128))
    # The request's length in words (short texts say too little to be sure of a duplicate).
    words: Mapped[int] = mapped_column(default=0)
    # When anything the duplicate index keeps changed: replicas bring their index up to date
    # from it. Set by the database layer, not the handlers' clock.
    changed_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)
    # The one question the stakeholder was asked ("urgency" or "duplicate", of which item),
    # and the answer ("yes", "no", "same", "other") once given.
    check_kind: Mapped[str | None] = mapped_column(String(16))
    check_of_id: Mapped[int | None] = mapped_column(ForeignKey("backlog_items.id"))
    check_answer: Mapped[str | None] = mapped_column(String(16))
    # Who made it urgent when the triage did not: "stakeholder" or "po".
    urgent_by: Mapped[str | None] = mapped_column(String(16))
    # When the stakeholder pressed "It's urgent" on the acknowledgement.
    escalated_at: Mapped[datetime | None]
    # A question to the stakeholder that waits for an answer, and who asked it.
    pending_question: Mapped[str | None] = mapped_column(Text)
    question_asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # The item in the workspace's tracker, once created there ("APP-123", "acme/shop#12").
    tracker_key: Mapped[str | None] = mapped_column(String(255))
    tracker_url: Mapped[str | None] = mapped_column(Text)
    # Where the tracker says it stands (open, in_progress, done, wont_do), and when it shipped.
    tracker_state: Mapped[str | None] = mapped_column(String(16))
    shipped_at: Mapped[datetime | None]
    # Open items of the tracker this request may repeat (key, url, title, score), best first.
    tracker_matches: Mapped[list[Any] | None]
    # The "why" question was asked once more after a reply that did not answer it.
    question_repeated: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    request: Mapped[Request] = relationship(lazy="joined", innerjoin=True)


class TriageLabel(Base):
    """A workspace's own labelled example: a request the PO corrected, as it stands now."""

    __tablename__ = "triage_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("backlog_items.id", ondelete="CASCADE"), unique=True
    )
    text: Mapped[str] = mapped_column(Text)
    # The built-in encoder's embedding: the space the triage's model reads.
    vector: Mapped[list[Any]]
    type: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool]
    updated_at: Mapped[datetime]


class TriageCorrection(Base):
    """A correction of the triage by the PO or a delegate, kept like a decision."""

    __tablename__ = "triage_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(
        ForeignKey("backlog_items.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    field: Mapped[str] = mapped_column(String(16))
    old_value: Mapped[str | None] = mapped_column(String(64))
    new_value: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]

    actor: Mapped[Person] = relationship(lazy="joined")


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("backlog_items.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]]
    decided_at: Mapped[datetime]

    actor: Mapped[Person] = relationship(lazy="joined")


class AuditEntry(Base):
    """An action someone tried and was refused."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    platform: Mapped[str] = mapped_column(String(32))
    actor_user_id: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime]


class OutboxMessage(Base):
    """A message to send (or a sent one to update), written with the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_outbox_delivered_ref", "platform", "delivered_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    conversation: Mapped[dict[str, Any]]
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    message: Mapped[dict[str, Any]]
    # "send" posts a new message; "update" rewrites the message sent by `updates_id`.
    kind: Mapped[str] = mapped_column(String(16), default="send")
    updates_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    delivered_ref: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # A send may have reached the platform unmarked (a time-out, a lost claim): look first.
    check_before_send: Mapped[bool] = mapped_column(default=False, server_default=false())


class CardItem(Base):
    """Which backlog items a sent card shows, so a decision can update every card showing it."""

    __tablename__ = "card_items"

    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("backlog_items.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class WorkspaceTracker(Base):
    """Where a workspace's backlog lives (one tracker per workspace); its token comes from the
    environment, only the webhook's shared secret is kept, and never shown."""

    __tablename__ = "workspace_trackers"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    project: Mapped[str | None] = mapped_column(String(255))
    repo: Mapped[str | None] = mapped_column(String(255))
    team: Mapped[str | None] = mapped_column(String(255))
    issue_type: Mapped[str | None] = mapped_column(String(255))
    position_field: Mapped[str | None] = mapped_column(String(255))
    webhook_secret: Mapped[str | None] = mapped_column(String(255))
    # What the check said when it was set ("connected to GitHub repository acme/shop as ...").
    checked: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime]


class TrackerJob(Base):
    """An item to create in the workspace's tracker, written with the approval that asks for
    it: the tracker's outbox. An outage or a 429 delays it; nothing is lost or made twice."""

    __tablename__ = "tracker_jobs"
    __table_args__ = (Index("ix_tracker_jobs_status_next_attempt", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The item the job is about; none for a "check", which is the workspace's.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("backlog_items.id", ondelete="CASCADE"))
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    # "create": make the item in the tracker; "link": merged into an item it has (target_key);
    # "comment": the stakeholder's reply (body), as a comment on the item (target_key);
    # "check": a tracker set in chat (its settings as JSON in body), stored once it connects;
    # "search": the tracker's open items the new request may repeat, kept for its card.
    action: Mapped[str] = mapped_column(String(16), default="create", server_default="create")
    target_key: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str | None] = mapped_column(Text)
    top: Mapped[bool]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # done, failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    # An earlier try may have reached the tracker unanswered: look for the item first.
    maybe_sent: Mapped[bool] = mapped_column(default=False, server_default=false())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class TeamsTenant(Base):
    """Where the bot reaches a Teams tenant: the Bot Connector's serviceUrl and the bot's id
    that the tenant's latest activity came with, stored as activities are handled. Every
    replica, and the bot after a restart, sends there (a conversation stored earlier may carry
    a serviceUrl that has changed since, and a person's first direct message carries none)."""

    __tablename__ = "teams_tenants"

    tenant_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    service_url: Mapped[str] = mapped_column(Text)
    bot_id: Mapped[str | None] = mapped_column(String(255))
    # When the activity that showed this endpoint was sent (refreshed now and then while it
    # stays the same): an older activity handled late, after a retry, does not bring back an
    # endpoint that has changed since.
    seen_at: Mapped[datetime]


class PlaygroundMessage(Base):
    """The playground's conversations, kept in the database: what the bot sent each person,
    and what each person wrote (``from_person``), so the chat reads the same after a reload."""

    __tablename__ = "playground_messages"
    __table_args__ = (
        Index("ix_playground_messages_inbox", "workspace", "user_id", "id"),
        Index("ux_playground_messages_own", "workspace", "user_id", "inbound_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    from_person: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A person's own message: the key of the event it is (kept once, however often sent).
    inbound_key: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


# Slack's installations and OAuth state, for many workspaces: the shape slack_sdk's SQLAlchemy
# stores read and write (slack_installations, slack_bots, slack_oauth_states), created by Alembic.
# slack_sdk writes naive UTC datetimes, hence the plain DateTime columns.


class SlackInstallation(Base):
    __tablename__ = "slack_installations"
    __table_args__ = (
        Index(
            "slack_installations_idx",
            "client_id",
            "enterprise_id",
            "team_id",
            "user_id",
            "installed_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(32))
    app_id: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    enterprise_url: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(32))
    team_name: Mapped[str | None] = mapped_column(String(200))
    bot_token: Mapped[str | None] = mapped_column(String(200))
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_scopes: Mapped[str | None] = mapped_column(String(1000))
    bot_refresh_token: Mapped[str | None] = mapped_column(String(200))
    bot_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    user_id: Mapped[str] = mapped_column(String(32))
    user_token: Mapped[str | None] = mapped_column(String(200))
    user_scopes: Mapped[str | None] = mapped_column(String(1000))
    user_refresh_token: Mapped[str | None] = mapped_column(String(200))
    user_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    incoming_webhook_url: Mapped[str | None] = mapped_column(String(200))
    incoming_webhook_channel: Mapped[str | None] = mapped_column(String(200))
    incoming_webhook_channel_id: Mapped[str | None] = mapped_column(String(200))
    incoming_webhook_configuration_url: Mapped[str | None] = mapped_column(String(200))
    is_enterprise_install: Mapped[bool] = mapped_column(default=False)
    token_type: Mapped[str | None] = mapped_column(String(32))
    installed_at: Mapped[datetime] = mapped_column(DateTime)


class SlackBot(Base):
    __tablename__ = "slack_bots"
    __table_args__ = (
        Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(32))
    app_id: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(32))
    team_name: Mapped[str | None] = mapped_column(String(200))
    bot_token: Mapped[str | None] = mapped_column(String(200))
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_scopes: Mapped[str | None] = mapped_column(String(1000))
    bot_refresh_token: Mapped[str | None] = mapped_column(String(200))
    bot_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    is_enterprise_install: Mapped[bool] = mapped_column(default=False)
    installed_at: Mapped[datetime] = mapped_column(DateTime)


class SlackOAuthState(Base):
    __tablename__ = "slack_oauth_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(200))
    expire_at: Mapped[datetime] = mapped_column(DateTime)
