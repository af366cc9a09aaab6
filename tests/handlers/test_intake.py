"""Intake: acknowledgements with an expectation, the clarifying question, forwards, duplicates."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.kernel.clock import FakeClock
from bot.runtime.app import Runtime
from storage.models import ItemStatus, OutboxMessage, Source
from tests import state
from tests.events import message
from tests.playground import Playground

FEATURE_WITH_WHY = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)


async def test_a_request_is_acknowledged_with_when_the_po_looks(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE_WITH_WHY)

    ack = await client.last("anna")
    # Monday 23 November: the next review is Tuesday 24 November at 09:00.
    assert "Tuesday and Thursday at 09:00" in ack["text"]
    assert "Tuesday 24 November" in ack["text"]
    assert await client.inbox("po") == []  # not urgent: it waits for the review
    [item] = await state.items(runtime)
    assert item.status == ItemStatus.QUEUED
    assert item.type == "feature"
    assert item.request.source == Source.DIRECT
    assert item.reasons, "triage explains itself"


async def test_a_feature_without_a_why_gets_one_question_and_the_answer_is_kept(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", "Can the login button be orange instead of blue?")

    question = await client.last("anna")
    assert "What problem does this solve, and for whom?" in question["text"]
    [item] = await state.items(runtime)
    assert item.status == ItemStatus.NEEDS_INFO

    await client.say("anna", "Our brand colour is orange; marketing wants a consistent look.")

    thanks = await client.last("anna")
    assert "Thanks, that helps" in thanks["text"]
    assert thanks["text"].count("Thanks") == 1, "thanked once, not twice"
    assert "you'll hear by Tuesday 24 November" in thanks["text"]
    [item] = await state.items(runtime)
    assert item.status == ItemStatus.QUEUED
    assert item.request.clarification is not None
    assert "brand colour" in item.request.clarification
    assert len(await state.items(runtime)) == 1, "the answer is no new request"


async def test_a_team_member_forwards_a_back_door_request(
    client: Playground, runtime: Runtime
) -> None:
    await client.say(
        "ben",
        "",
        forward_of={
            "user": "anna",
            "text": "Could the monthly report also show refunds? Finance needs them for closing.",
        },
    )

    [item] = await state.items(runtime)
    assert item.request.source == Source.BACK_DOOR
    assert item.request.stakeholder.platform_user_id == "anna"
    assert item.request.forwarded_by is not None
    assert item.request.forwarded_by.platform_user_id == "ben"
    assert "Anna" in (await client.last("ben"))["text"]
    told = await client.last("anna")
    assert "Ben passed your message on to the PO" in told["text"]


async def test_a_duplicate_across_languages_is_linked(client: Playground, runtime: Runtime) -> None:
    await client.say("anna", FEATURE_WITH_WHY)
    await client.say(
        "ben",
        "Kunnen we een CSV-export maken van het declaratie-overzicht? Dan hoeft finance "
        "de uitbetalingen niet meer over te typen.",
    )

    first, second = await state.items(runtime)
    assert second.duplicate_of_id == first.id
    assert f"#{first.id}" in (await client.last("ben"))["text"]


async def test_an_empty_message_gets_a_hint_and_creates_nothing(runtime: Runtime) -> None:
    # The playground refuses an empty text (400); Slack and Teams deliver some (a file alone).
    await runtime.pipeline.receive(message("empty-1", text="   "))

    async with runtime.db.read() as uow:
        [reply] = (await uow.session.scalars(select(OutboxMessage))).all()
    assert "what you need, and why" in reply.message["text"]
    assert await state.items(runtime) == []


async def test_a_huge_message_is_refused_politely(client: Playground, runtime: Runtime) -> None:
    await client.say("anna", "word " * 3000)

    assert "too long" in (await client.last("anna"))["text"]
    assert await state.items(runtime) == []


async def test_an_unknown_person_is_taken_in_as_a_stakeholder(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("dirk", FEATURE_WITH_WHY)

    [item] = await state.items(runtime)
    assert item.request.stakeholder.platform_user_id == "dirk"
    assert item.request.stakeholder.role == "stakeholder"


async def test_an_incident_is_never_taken_as_the_answer_to_an_open_question(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", "Can the login button be orange instead of blue?")

    await client.say("anna", "The customer portal shows a 500 error on login, nobody can get in!")

    first, second = await state.items(runtime)
    assert first.status == ItemStatus.NEEDS_INFO
    assert second.type == "incident"
    assert "urgent" in (await client.last("anna"))["text"]
    assert (await client.last("po"))["buttons"], "the incident broke through to the PO"


async def test_an_old_open_question_no_longer_captures_new_messages(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await client.say("anna", "Can the login button be orange instead of blue?")
    clock.advance(timedelta(days=15))

    await client.say("anna", FEATURE_WITH_WHY)

    assert len(await state.items(runtime)) == 2
