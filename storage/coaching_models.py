"""The coaching trajectory: contract, sessions, reflections, and the ledger of scheduled sends."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models import Base, Person


class Confidentiality(StrEnum):
    AGGREGATE = "aggregate"  # figures only
    NAMES = "names"  # also stakeholder names and item titles
    FULL = "full"  # also the PO's reflection answers


class CoachingContract(Base):
    __tablename__ = "coaching_contracts"
    __table_args__ = (UniqueConstraint("workspace_id", "po_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    po_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # A coach outside the workspace gets reminders and the digest by e-mail.
    coach_email: Mapped[str | None] = mapped_column(String(255))
    start_date: Mapped[date] = mapped_column(Date)
    cadence_days: Mapped[int | None]
    planned_sessions: Mapped[int]
    goals: Mapped[str | None] = mapped_column(Text)
    themes: Mapped[list[Any]]
    confidentiality: Mapped[str] = mapped_column(String(16), default=Confidentiality.AGGREGATE)
    # When the PO wants the weekly reflection prompt, in their own time zone.
    reflection_weekday: Mapped[int] = mapped_column(default=4)
    reflection_time: Mapped[str] = mapped_column(String(5), default="16:00")
    created_at: Mapped[datetime]

    po: Mapped[Person] = relationship(foreign_keys=[po_id], lazy="joined", innerjoin=True)
    coach: Mapped[Person | None] = relationship(foreign_keys=[coach_id], lazy="joined")


class CoachingSession(Base):
    __tablename__ = "coaching_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("coaching_contracts.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=60)
    scope: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Reflection(Base):
    """A reflection question to the PO and, once given, the answer (private to the PO)."""

    __tablename__ = "reflections"
    __table_args__ = (UniqueConstraint("contract_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("coaching_contracts.id", ondelete="CASCADE")
    )
    # "2026-W47" for a weekly prompt, "session:12" after a session.
    period: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    asked_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


class Prompt(Base):
    """A question the bot waits for a person to answer in chat (a reflection, a next scope)."""

    __tablename__ = "prompts"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int]
    asked_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


class ContractProposal(Base):
    """A change to the contract by one party, waiting for the other's confirmation."""

    __tablename__ = "contract_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("coaching_contracts.id", ondelete="CASCADE")
    )
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    awaiting_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    changes: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    # The card that asks for the confirmation: updated once the change is answered.
    card_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))


class DesiredShare(Base):
    """The share of requests the PO wants a stakeholder group to have (Finance 30%)."""

    __tablename__ = "desired_shares"
    __table_args__ = (UniqueConstraint("workspace_id", "group_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    group_name: Mapped[str] = mapped_column(String(64))
    percent: Mapped[int]


class PersonPreferences(Base):
    """When a person may be messaged, and which stakeholder group they belong to."""

    __tablename__ = "person_preferences"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    # The stakeholder group (Finance, Marketing) whose share of requests the PO watches.
    group_name: Mapped[str | None] = mapped_column(String(64))
    # "mon,tue,wed,thu,fri" and "18:00-08:00", in the person's own time zone.
    working_days: Mapped[str | None] = mapped_column(String(64))
    quiet_hours: Mapped[str | None] = mapped_column(String(16))


# The outcome of a send that failed and is tried again: not settled, so still to be claimed.
RETRYING = "retrying"


class ScheduledSend(Base):
    """One scheduled message, claimed by its key: whichever replica settles it sends it."""

    __tablename__ = "scheduled_sends"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime]
    # "sent"; "skipped" when it fell due while the bot was down and no longer made sense;
    # "failed" when it was given up after failing too often; RETRYING while it is still tried.
    outcome: Mapped[str] = mapped_column(String(16))
    # When it was settled (or, while RETRYING, when it last failed).
    decided_at: Mapped[datetime]
    # How often sending it failed, counted by every replica alike (it survives a restart).
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
