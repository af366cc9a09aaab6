"""What each scheduled send says and records, written to the outbox in the claiming transaction."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from datetime import datetime, time, timedelta

from bot.kernel.events import ConversationRef
from bot.kernel.i18n import Translator
from bot.kernel.outbound import Field, Image, OutboundMessage, Section
from handlers import outbox
from handlers.cards import item_card
from handlers.coaching.digest import build_digest, week_bounds, week_of
from handlers.coaching.plan import Kind, Planned, Recipient
from handlers.coaching.reflections import session_question, weekly_question
from handlers.coaching.report import WeekTrend, digest_chart, digest_message, trend_chart
from handlers.coaching.timing import at_local
from handlers.context import Context, Services
from handlers.items import duplicate_of
from handlers.texts import clock_text, day_text, moment_text
from storage.coaching_models import (
    CoachingContract,
    CoachingSession,
    Confidentiality,
    Prompt,
    Reflection,
)
from storage.models import UNDECIDED_STATUSES, Workspace
from storage.repositories import UnitOfWork

EMAIL = "email"


async def compose_ahead(
    uow: UnitOfWork, services: Services, planned: Planned
) -> OutboundMessage | None:
    """The message of a send that is slow to compose (a chart) and writes nothing, composed in
    a read-only unit before the send is claimed, so no write transaction waits for it."""
    tr = Translator(planned.recipient.language)
    if planned.kind is Kind.DIGEST:
        return await _digest_message(uow, planned, tr)
    if planned.kind is Kind.EVALUATION:
        return await _evaluation_message(uow, services, planned, tr)
    return None


async def deliver(
    uow: UnitOfWork, services: Services, planned: Planned, composed: OutboundMessage | None = None
) -> None:
    if composed is not None:
        await send_to(uow, services, planned, composed)
        return
    tr = Translator(planned.recipient.language)
    handler = {
        Kind.REMINDER_DAY: _reminder,
        Kind.REMINDER_HOUR: _reminder,
        Kind.SESSION_SCOPE: _ask_scope,
        Kind.REFLECTION_SESSION: _reflect_on_session,
        Kind.REFLECTION_WEEK: _reflect_on_week,
        Kind.DIGEST: _digest,
        Kind.EVALUATION: _evaluation,
        Kind.NUDGE: _nudge,
    }[planned.kind]
    await handler(uow, services, planned, tr)


async def send_to(
    uow: UnitOfWork,
    services: Services,
    planned: Planned,
    message: OutboundMessage,
    *,
    item_ids: list[int] | None = None,
) -> None:
    """In chat for someone in the workspace, by e-mail for a coach outside it."""
    recipient = planned.recipient
    if recipient.person is not None:
        ctx = Context(uow, services, planned.workspace, recipient.person)
        await outbox.send_direct(ctx, recipient.person, message, item_ids=item_ids or ())
        return
    conversation = ConversationRef(
        platform=EMAIL, workspace=planned.workspace.external_id, channel=str(recipient.email)
    )
    await uow.outbox.add(outbox.new_outbox_row(conversation, message, services.clock.now()))


def _scope(tr: Translator, session: CoachingSession) -> str:
    return session.scope or tr.t("no scope agreed yet")


def _local_time(session: CoachingSession, recipient: Recipient) -> str:
    return clock_text(session.starts_at, recipient.availability.timezone)


async def _reminder(uow: UnitOfWork, services: Services, planned: Planned, tr: Translator) -> None:
    session = planned.session
    assert session is not None
    tz = planned.recipient.availability.timezone
    params = {
        "day": day_text(tr, session.starts_at, tz),
        "time": _local_time(session, planned.recipient),
        "scope": _scope(tr, session),
    }
    if planned.kind is Kind.REMINDER_HOUR:
        text = tr.t("Your coaching session starts in an hour, at {time}. Scope: {scope}", **params)
    else:
        text = tr.t("Reminder: coaching session on {day} at {time}. Scope: {scope}", **params)
    await send_to(uow, services, planned, OutboundMessage(text=text))


async def _prompt(
    uow: UnitOfWork, planned: Planned, kind: str, subject_id: int, now: datetime, days: int
) -> None:
    assert planned.recipient.person is not None
    await uow.coaching.add(
        Prompt(
            person_id=planned.recipient.person.id,
            kind=kind,
            subject_id=subject_id,
            asked_at=now,
            expires_at=now + timedelta(days=days),
        )
    )


async def _ask_scope(uow: UnitOfWork, services: Services, planned: Planned, tr: Translator) -> None:
    upcoming = planned.session
    assert upcoming is not None
    day = day_text(tr, upcoming.starts_at, planned.recipient.availability.timezone)
    text = tr.t(
        "The coaching session has ended. What is the scope of the next one, on {day}? "
        "Just reply here.",
        day=day,
    )
    await send_to(uow, services, planned, OutboundMessage(text=text))
    now = services.clock.now()
    days = max(1, (upcoming.starts_at - now).days)
    await _prompt(uow, planned, "session_scope", upcoming.id, now, days)


def _privacy_note(tr: Translator, contract: CoachingContract) -> str:
    if contract.confidentiality == Confidentiality.FULL:
        return tr.t("Your coach reads your answer in the weekly digest.")
    return tr.t("Your answer stays private to you.")


async def _reflect(
    uow: UnitOfWork, services: Services, planned: Planned, tr: Translator, period: str, q: str
) -> None:
    contract = planned.contract
    assert contract is not None
    now = services.clock.now()
    if await uow.coaching.reflection(contract_id=contract.id, period=period) is not None:
        return
    reflection = Reflection(contract_id=contract.id, period=period, question=q, asked_at=now)
    await uow.coaching.add(reflection)
    text = f"{q}\n{tr.t('Just reply here.')} {_privacy_note(tr, contract)}"
    await send_to(uow, services, planned, OutboundMessage(text=text))
    await _prompt(uow, planned, "reflection", reflection.id, now, 3)


async def _reflect_on_session(
    uow: UnitOfWork, services: Services, planned: Planned, tr: Translator
) -> None:
    assert planned.contract is not None and planned.session is not None
    question = session_question(tr, list(planned.contract.themes), planned.session.id)
    await _reflect(uow, services, planned, tr, f"session:{planned.session.id}", question)


async def _reflect_on_week(
    uow: UnitOfWork, services: Services, planned: Planned, tr: Translator
) -> None:
    assert planned.contract is not None and planned.week is not None
    digest = await build_digest(uow, planned.workspace, planned.contract, planned.week)
    turn = int(planned.week.split("-W")[1])
    question = weekly_question(tr, digest, list(planned.contract.themes), turn)
    await _reflect(uow, services, planned, tr, planned.week, question)


async def _digest(uow: UnitOfWork, services: Services, planned: Planned, tr: Translator) -> None:
    await send_to(uow, services, planned, await _digest_message(uow, planned, tr))


async def _digest_message(uow: UnitOfWork, planned: Planned, tr: Translator) -> OutboundMessage:
    assert planned.contract is not None and planned.week is not None
    digest = await build_digest(uow, planned.workspace, planned.contract, planned.week)
    # Drawing takes a few hundred milliseconds of CPU: not on the loop that answers Slack.
    chart = await asyncio.to_thread(digest_chart, tr, digest)
    return digest_message(tr, digest, chart)


async def trends(
    uow: UnitOfWork, workspace: Workspace, contract: CoachingContract, until: datetime
) -> list[WeekTrend]:
    """Week by week from the contract's start until the given moment."""
    result: list[WeekTrend] = []
    week = week_of(at_local(contract.start_date, time(12), workspace.timezone), workspace.timezone)
    while True:
        start, end = week_bounds(week, workspace.timezone)
        if start > until:
            return result
        digest = await build_digest(uow, workspace, contract, week)
        result.append(
            WeekTrend(
                week=week,
                received=digest.received,
                back_door=digest.by_source["back_door"],
                approved=digest.decisions["approve"],
                declined=digest.decisions["decline"],
                median_hours=digest.median_hours_to_decision,
            )
        )
        week = week_of(end, workspace.timezone)


async def _evaluation(
    uow: UnitOfWork, services: Services, planned: Planned, tr: Translator
) -> None:
    await send_to(uow, services, planned, await _evaluation_message(uow, services, planned, tr))


async def _evaluation_message(
    uow: UnitOfWork, services: Services, planned: Planned, tr: Translator
) -> OutboundMessage:
    contract = planned.contract
    assert contract is not None
    series = await trends(uow, planned.workspace, contract, services.clock.now())
    total = Counter[str]()
    for week in series:
        total.update(received=week.received, back_door=week.back_door,
                     approved=week.approved, declined=week.declined)  # fmt: skip
    looked_back = tr.n(
        "The coaching trajectory is complete: a look back over {count} week.",
        "The coaching trajectory is complete: a look back over {count} weeks.",
        len(series),
    )
    figures = tr.n(
        "{count} request came in ({back_door} through the back door); "
        "{approved} approved and {declined} declined.",
        "{count} requests came in, {back_door} of them through the back door; "
        "{approved} were approved and {declined} declined.",
        total["received"],
        **{key: tr.number(total[key]) for key in ("back_door", "approved", "declined")},
    )
    text = f"{looked_back} {figures}"
    sections = (
        Section(
            title=tr.t("Week by week"),
            fields=tuple(
                Field(
                    label=week.week,
                    value=tr.n(
                        "{count} request, {back_door} back door, {approved} approved, "
                        "{declined} declined, median {hours} h to a decision",
                        "{count} requests, {back_door} back door, {approved} approved, "
                        "{declined} declined, median {hours} h to a decision",
                        week.received,
                        back_door=tr.number(week.back_door),
                        approved=tr.number(week.approved),
                        declined=tr.number(week.declined),
                        hours=(
                            tr.number(week.median_hours, digits=1)
                            if week.median_hours is not None
                            else "—"
                        ),
                    ),
                )
                for week in series
            ),
        ),
    )
    chart = await asyncio.to_thread(trend_chart, tr, series)
    image = Image(png_base64=base64.b64encode(chart).decode(), alt=tr.t("Trajectory chart"))
    return OutboundMessage(text=text, sections=sections, image=image)


async def _nudge(uow: UnitOfWork, services: Services, planned: Planned, tr: Translator) -> None:
    assert planned.item_id is not None and planned.recipient.person is not None
    item = await uow.backlog.get(workspace_id=planned.workspace.id, item_id=planned.item_id)
    if item is None or item.status not in UNDECIDED_STATUSES:
        return
    ctx = Context(uow, services, planned.workspace, planned.recipient.person)
    tz = planned.recipient.availability.timezone
    headline = tr.t(
        "{name} has waited since {received} for a decision on #{id}, longer than promised.",
        name=item.request.stakeholder.name,
        received=moment_text(tr, item.request.received_at, tz),
        id=item.id,
    )
    card = item_card(tr, headline, item, await duplicate_of(ctx, item))
    await send_to(uow, services, planned, card, item_ids=[item.id])
