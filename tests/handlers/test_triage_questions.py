"""Sure, or asking: the stakeholder's one question (is it blocking people now? is it the same as
#12?), the "It's urgent" button on every acknowledgement, and the question budget.

The runtimes here use the shipped model with its thresholds moved, so that every request lands
where the behaviour under test happens, whatever the model's probabilities are."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.kernel.clock import FakeClock
from bot.kernel.settings import load_settings
from bot.runtime.app import Runtime, build_runtime, create_app, prepare
from handlers.coaching.digest import build_digest, week_of
from handlers.triage import Triager
from handlers.triage.model import TriageModel
from storage.coaching_models import CoachingContract
from storage.models import ItemStatus, ItemType
from tests import state
from tests.playground import Playground

BUG = "The export button on the orders page gives an error when I click it."
FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)
OTHER_REQUESTS = (
    "Hoe vraag ik een parkeerplaats aan op kantoor?",
    "The footer of the newsletter has a typo in the address.",
    "Wanneer is de volgende release van de app gepland?",
    "Can the onboarding checklist get a dark mode?",
)
SAME_FEATURE = (
    "Graag een export naar Excel of CSV van het declaratie-overzicht, voor de maandelijkse "
    "afstemming van de uitbetalingen."
)


def triager_with(**limits: float) -> Triager:
    model = TriageModel.load()
    return Triager(
        dataclasses.replace(model, thresholds=dataclasses.replace(model.thresholds, **limits))
    )


# Every request that is no question is unsure about urgency; nothing is sure.
ASK_URGENCY = {"urgent_ask": 0.0, "urgent_auto": 1.01, "duplicate_auto": 1.1, "duplicate_ask": 1.1}
# Nothing is ever urgent; every request with an earlier one is asked whether it is the same.
ASK_DUPLICATE = {
    "urgent_ask": 1.01,
    "urgent_auto": 1.01,
    "duplicate_auto": 1.1,
    "duplicate_ask": -1.0,
}


@pytest.fixture
async def asking(
    request: pytest.FixtureRequest, database_url: str, clock: FakeClock
) -> AsyncIterator[tuple[Playground, Runtime]]:
    limits: dict[str, float] = request.param
    settings = load_settings(database_url=database_url, playground=True, demo_workspace=True)
    runtime = build_runtime(settings, clock=clock, triager=triager_with(**limits))
    await prepare(runtime, upgrade=False)
    async with TestClient(TestServer(create_app(runtime, background=False))) as http:
        yield Playground(http), runtime
    await runtime.engine.dispose()


def action_ids(message: dict[str, Any]) -> list[str]:
    return [button["action_id"] for button in message["buttons"]]


def ack_section(message: dict[str, Any]) -> dict[str, Any]:
    [section] = [s for s in message["sections"] if str(s["key"]).startswith("ack:")]
    return section


async def latest_ack(client: Playground, user: str) -> dict[str, Any]:
    for message in reversed(await client.inbox(user)):
        if any(str(s.get("key")).startswith("ack:") for s in message["sections"]):
            return message
    raise AssertionError(f"{user} has no acknowledgement")


@pytest.mark.parametrize("asking", [ASK_URGENCY], indirect=True)
async def test_yes_it_is_blocking_breaks_through_marked_by_the_stakeholder(
    asking: tuple[Playground, Runtime],
) -> None:
    client, runtime = asking
    await client.say("anna", BUG)

    ack = await client.last("anna")
    assert "is it blocking people right now?" in ack["text"]
    assert action_ids(ack) == ["urgency_yes", "urgency_no"]
    assert await client.inbox("po") == [], "nothing reaches the PO before the answer"
    [item] = await state.items(runtime)
    assert (item.check_kind, item.urgent) == ("urgency", False)

    await client.click("anna", "urgency_yes", str(item.id))

    item = await state.item(runtime, item.id)
    assert item.urgent and item.urgent_by == "stakeholder" and item.check_answer == "yes"
    assert item.type == ItemType.INCIDENT
    card = await client.last("po")
    assert "says this is blocking people now" in card["text"]
    assert "approve_top" in action_ids(card)
    fields = {f["label"]: f["value"] for f in card["sections"][0]["fields"]}
    assert fields["Urgency"] == "Urgent (the stakeholder says so)"
    assert fields["Asked the stakeholder"] == "Is it blocking people now? Yes"
    assert "right away" in (await client.last("anna"))["text"]
    answered = ack_section(await latest_ack(client, "anna"))
    assert answered["buttons"] == [], "answered: nothing left to press"
    assert "You said it is blocking people now" in answered["outcome"]


@pytest.mark.parametrize("asking", [ASK_URGENCY], indirect=True)
async def test_no_it_can_wait_queues_it_and_it_can_still_be_escalated(
    asking: tuple[Playground, Runtime], clock: FakeClock
) -> None:
    client, runtime = asking
    await client.say("anna", BUG)
    [item] = await state.items(runtime)

    await client.click("anna", "urgency_no", str(item.id))

    assert "you'll hear by Tuesday 24 November" in (await client.last("anna"))["text"]
    assert await client.inbox("po") == []
    ack = ack_section(await latest_ack(client, "anna"))
    assert "You said it can wait." in ack["outcome"]
    assert [b["action_id"] for b in ack["buttons"]] == ["escalate"]

    await client.click("anna", "urgency_no", str(item.id))
    assert "answered that already" in (await client.last("anna"))["text"]

    await client.click("anna", "escalate", str(item.id))
    item = await state.item(runtime, item.id)
    assert item.urgent and item.escalated_at == clock.now()
    assert "marked this request as urgent" in (await client.last("po"))["text"]


@pytest.mark.parametrize("asking", [ASK_URGENCY], indirect=True)
async def test_only_the_stakeholder_answers_and_a_stranger_is_audited(
    asking: tuple[Playground, Runtime],
) -> None:
    client, runtime = asking
    await client.say("anna", BUG)
    [item] = await state.items(runtime)

    await client.click("mallory", "urgency_yes", str(item.id))

    assert "Only the person who sent this request" in (await client.last("mallory"))["text"]
    item = await state.item(runtime, item.id)
    assert not item.urgent and item.check_answer is None
    [entry] = await state.audit(runtime)
    assert (entry.actor_user_id, entry.action, entry.reason) == (
        "mallory",
        "urgency_yes",
        "not the stakeholder",
    )
    await client.click("anna", "urgency_yes", "999999")
    assert "can't find that request" in (await client.last("anna"))["text"]


@pytest.mark.parametrize("asking", [ASK_URGENCY], indirect=True)
async def test_a_decision_takes_the_buttons_off_the_acknowledgement(
    asking: tuple[Playground, Runtime],
) -> None:
    client, runtime = asking
    await client.say("anna", BUG)
    [item] = await state.items(runtime)
    await client.say("po", "queue")
    await client.click("po", "approve_bottom", str(item.id))

    assert ack_section(await latest_ack(client, "anna"))["buttons"] == []
    await client.click("anna", "urgency_yes", str(item.id))
    assert "has already decided" in (await client.last("anna"))["text"]
    assert not (await state.item(runtime, item.id)).urgent


@pytest.mark.parametrize("asking", [ASK_URGENCY], indirect=True)
async def test_no_more_than_one_request_in_five_asks(asking: tuple[Playground, Runtime]) -> None:
    client, runtime = asking
    for n in range(10):
        await client.say(f"person{n}", f"{BUG} (order {n})")

    items = await state.items(runtime)
    asked = [item.check_kind is not None for item in items]
    assert asked == [True, False, False, False, False, True, False, False, False, False]
    unasked = await client.last("person1")
    assert action_ids(unasked) == ["escalate"], "who is not asked can still say it is urgent"


async def said_before_the_same(client: Playground) -> None:
    """The feature, four others, then the same feature again: a question about a duplicate
    needs room for two in the budget, which five requests without questions leave."""
    await client.say("anna", FEATURE)
    for n, text in enumerate(OTHER_REQUESTS):
        await client.say(f"other{n}", text)
    await client.say("ben", SAME_FEATURE)


@pytest.mark.parametrize("asking", [ASK_DUPLICATE], indirect=True)
async def test_same_links_the_request_to_the_earlier_one(
    asking: tuple[Playground, Runtime],
) -> None:
    client, runtime = asking
    await said_before_the_same(client)

    first, *_, second = await state.items(runtime)
    ack = await client.last("ben")
    assert f"Is this the same as #{first.id}" in ack["text"]
    assert action_ids(ack) == ["duplicate_same", "duplicate_other"]
    assert second.duplicate_of_id is None and second.check_of_id == first.id

    await client.click("ben", "duplicate_same", str(second.id))

    second = await state.item(runtime, second.id)
    assert second.duplicate_of_id == first.id and second.check_answer == "same"
    assert f"linked it to #{first.id}" in (await client.last("ben"))["text"]
    await client.say("po", "queue")
    queue = await client.last("po")
    assert "merge" in action_ids(queue), "the PO can merge the two in one click"


@pytest.mark.parametrize("asking", [ASK_DUPLICATE], indirect=True)
async def test_something_else_keeps_them_apart(asking: tuple[Playground, Runtime]) -> None:
    client, runtime = asking
    await said_before_the_same(client)
    *_, second = await state.items(runtime)

    await client.click("ben", "duplicate_other", str(second.id))

    second = await state.item(runtime, second.id)
    assert second.duplicate_of_id is None and second.check_answer == "other"
    assert any("not the same as" in r["msgid"] for r in second.reasons)


async def test_every_queued_acknowledgement_carries_its_urgent_button(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE)

    ack = await client.last("anna")
    [item] = await state.items(runtime)
    assert item.status == ItemStatus.QUEUED and item.check_kind is None
    assert action_ids(ack) == ["escalate"]

    await client.click("anna", "escalate", str(item.id))
    await client.click("anna", "escalate", str(item.id))

    assert "marked urgent already" in (await client.last("anna"))["text"]
    cards = [m for m in await client.inbox("po") if "approve_top" in action_ids(m)]
    assert len(cards) == 1, "the PO is alerted once"


async def test_the_coach_digest_counts_escalations_per_stakeholder(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE)
    [item] = await state.items(runtime)
    await client.click("anna", "escalate", str(item.id))

    async with runtime.db.transaction() as uow:
        workspace = await uow.workspaces.get(platform="playground", external_id="demo")
        assert workspace is not None
        contract = CoachingContract(confidentiality="names")
        week = week_of(runtime.services.clock.now(), workspace.timezone)
        digest = await build_digest(uow, workspace, contract, week)
    assert digest.escalations == {"Anna": 1}


@pytest.mark.parametrize("asking", [ASK_URGENCY], indirect=True)
async def test_the_pos_word_on_urgency_closes_the_stakeholders_question(
    asking: tuple[Playground, Runtime],
) -> None:
    client, runtime = asking
    await client.say("anna", BUG)
    [item] = await state.items(runtime)

    await client.click("po", "correct_urgent", f"{item.id}:no")

    ack = ack_section(await latest_ack(client, "anna"))
    assert ack["buttons"] == [] and "The PO has looked at it already." in ack["outcome"]
    await client.click("anna", "urgency_yes", str(item.id))
    assert "answered that already" in (await client.last("anna"))["text"]
    await client.click("anna", "escalate", str(item.id))
    assert "decided it can wait" in (await client.last("anna"))["text"]
    item = await state.item(runtime, item.id)
    assert (item.urgent, item.urgent_by, item.check_answer) == (False, "po", "po")
    alerts = [m for m in await client.inbox("po") if "approve_top" in action_ids(m)]
    assert alerts == [], "the PO is not alerted against their own word"


@pytest.mark.parametrize("asking", [ASK_URGENCY], indirect=True)
async def test_the_latest_word_on_urgency_is_the_one_the_card_shows(
    asking: tuple[Playground, Runtime],
) -> None:
    client, runtime = asking
    await client.say("anna", BUG)
    [item] = await state.items(runtime)
    await client.click("anna", "urgency_yes", str(item.id))
    await client.click("po", "correct_urgent", f"{item.id}:no")
    await client.click("po", "correct_urgent", f"{item.id}:yes")

    item = await state.item(runtime, item.id)
    about_urgency = [
        r["msgid"] for r in item.reasons if "urgent" in r["msgid"] or "blocking" in r["msgid"]
    ]
    assert about_urgency == ["{who} marked it urgent"], item.reasons


async def test_a_type_correction_keeps_the_why_question_open(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", "Can the login button be orange instead of blue?")
    [item] = await state.items(runtime)
    assert item.status == ItemStatus.NEEDS_INFO

    await client.click("po", "correct_type", f"{item.id}:bug")
    await client.say("anna", "Our brand colour is orange; marketing wants a consistent look.")

    [item] = await state.items(runtime)
    assert item.type == ItemType.BUG and not item.needs_info
    assert "brand colour" in (item.request.clarification or ""), "taken as the answer"


@pytest.mark.parametrize("asking", [ASK_URGENCY], indirect=True)
async def test_a_yes_is_no_escalation_in_the_coachs_digest(
    asking: tuple[Playground, Runtime],
) -> None:
    client, runtime = asking
    await client.say("anna", BUG)
    [item] = await state.items(runtime)
    await client.click("anna", "urgency_yes", str(item.id))

    async with runtime.db.transaction() as uow:
        workspace = await uow.workspaces.get(platform="playground", external_id="demo")
        assert workspace is not None
        week = week_of(runtime.services.clock.now(), workspace.timezone)
        digest = await build_digest(uow, workspace, CoachingContract(confidentiality="names"), week)
    assert digest.escalations == {}


@pytest.mark.parametrize("asking", [ASK_URGENCY], indirect=True)
async def test_an_answer_and_a_correction_at_once_on_two_replicas_agree(
    asking: tuple[Playground, Runtime], clock: FakeClock
) -> None:
    import asyncio

    from bot.kernel.events import ActionEvent, ConversationRef, PersonInfo

    client, runtime = asking
    other = build_runtime(
        load_settings(database_url=runtime.engine.url.render_as_string(hide_password=False)),
        clock=clock,
        triager=runtime.services.triage.triager,
    )
    await client.say("anna", BUG)
    [item] = await state.items(runtime)

    def click(user: str, action_id: str, value: str, key: str) -> ActionEvent:
        where = ConversationRef(
            platform="playground", workspace="demo", channel=f"@{user}", user=user
        )
        return ActionEvent(conversation=where, sender=PersonInfo(user_id=user),
                           action_id=action_id, value=value, idempotency_key=key)  # fmt: skip

    await asyncio.gather(
        runtime.pipeline.receive(click("anna", "urgency_yes", str(item.id), "a1")),
        other.pipeline.receive(click("po", "correct_urgent", f"{item.id}:no", "p1")),
    )
    await runtime.worker.deliver_due()
    await other.engine.dispose()

    item = await state.item(runtime, item.id)
    # Whichever came second saw the first: the PO's "can wait" either closed the question
    # (the answer was refused) or came after the answer and overruled it.
    assert (item.urgent, item.urgent_by) == (False, "po")
    assert item.check_answer in ("yes", "po")
    alerts = [m for m in await client.inbox("po") if "approve_top" in action_ids(m)]
    assert len(alerts) == (1 if item.check_answer == "yes" else 0)
