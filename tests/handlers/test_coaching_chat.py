"""The contract in chat: a change by one party waits for the other's confirmation."""

from __future__ import annotations

import json

from bot.runtime.app import Runtime
from tests import state
from tests.handlers.coaching_support import contract, demo
from tests.handlers.test_commands import set_language
from tests.handlers.test_routing import set_person
from tests.playground import Playground, button


async def cadence(runtime: Runtime) -> int | None:
    async with runtime.db.transaction() as uow:
        agreement = await uow.coaching.contract(workspace_id=(await demo(uow)).id)
        assert agreement is not None
        return agreement.cadence_days


async def test_the_po_proposes_and_the_coach_confirms(client: Playground, runtime: Runtime) -> None:
    await contract(runtime, every_days=14)

    await client.say("po", "coaching every 3 weeks")

    assert "asked Carla (coach) to confirm" in (await client.last("po"))["text"]
    assert await cadence(runtime) == 14, "nothing changes before the coach confirms"
    proposal = await client.last("coach")
    assert (
        "proposes a change to the coaching contract: a session every 3 weeks" in (proposal["text"])
    ), "plain words, not every_days: 21"
    await client.say("po", "coaching")
    shown = json.dumps((await client.last("po"))["sections"])
    assert "Waiting for Carla (coach) to confirm" in shown and "every 3 weeks" in shown

    await client.click("coach", "contract_confirm", button(proposal, "contract_confirm")["value"])

    assert await cadence(runtime) == 21
    told = (await client.last("po"))["text"]
    assert "Carla (coach) confirmed your change to the coaching contract: a session every 3" in told
    reply = (await client.last("coach"))["text"]
    assert reply.startswith("Done: the coaching contract now has a session every 3 weeks.")
    card = next(m for m in await client.inbox("coach") if m["id"] == proposal["id"])
    assert card["buttons"] == [] and card["updated_at"] is not None, "the card was answered"
    assert "You confirmed this change." in json.dumps(card["sections"])
    await client.say("po", "coaching")
    assert "Waiting for" not in json.dumps((await client.last("po"))["sections"])


async def test_session_times_are_shown_in_each_persons_zone_and_named(
    client: Playground, runtime: Runtime
) -> None:
    await contract(runtime, every_days=14, sessions=2)
    await set_person(runtime, "coach", timezone="America/New_York")

    await client.say("po", "coaching")
    po_view = json.dumps((await client.last("po"))["sections"])
    await client.say("coach", "coaching")
    coach_view = json.dumps((await client.last("coach"))["sections"])

    # 23 November 2026 at 10:00 in Amsterdam is 04:00 in New York.
    assert "Monday 23 November 10:00 CET" in po_view
    assert "Monday 23 November 04:00 EST" in coach_view
    assert "T09:00" not in po_view + coach_view, "no bare UTC ISO time"


async def test_a_change_of_several_things_reads_as_words_in_dutch(
    client: Playground, runtime: Runtime
) -> None:
    await contract(runtime, every_days=14)
    await set_language(runtime, "coach", "nl")

    await client.say("po", "coaching themes role, stakeholders")

    proposal = (await client.last("coach"))["text"]
    assert "thema's: de PO-rol en stakeholders" in proposal, proposal
    assert "['role'" not in proposal


async def test_the_coach_proposes_and_the_po_declines(client: Playground, runtime: Runtime) -> None:
    await contract(runtime, every_days=14)

    await client.say("coach", "coaching every 1 week")
    proposal = await client.last("po")
    await client.click("po", "contract_reject", button(proposal, "contract_reject")["value"])

    assert await cadence(runtime) == 14
    assert "declined" in (await client.last("coach"))["text"]


async def test_only_the_other_party_can_confirm(client: Playground, runtime: Runtime) -> None:
    await contract(runtime, every_days=14)
    await client.say("po", "coaching every 3 weeks")
    value = button(await client.last("coach"), "contract_confirm")["value"]

    await client.click("anna", "contract_confirm", value)

    assert "Only the other party" in (await client.last("anna"))["text"]
    assert await cadence(runtime) == 14
    [entry] = await state.audit(runtime)
    assert entry.actor_user_id == "anna"


async def test_the_contract_is_shown_and_bad_changes_are_explained(
    client: Playground, runtime: Runtime
) -> None:
    await contract(runtime, sessions=5, confidentiality="names")

    await client.say("coach", "coaching")
    shown = await client.last("coach")
    assert "Your coaching contract" in shown["text"]
    assert "names" in str(shown["sections"])

    await client.say("po", "coaching sessions many")
    assert "not a number" in (await client.last("po"))["text"]


async def test_a_stakeholder_mentioning_coaching_makes_a_request(
    client: Playground, runtime: Runtime
) -> None:
    await contract(runtime)

    await client.say(
        "anna", "Coaching videos for new users would help, because onboarding is slow."
    )

    assert len(await state.items(runtime)) == 1


async def test_the_po_sets_shares_and_anyone_their_quiet_hours(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("po", "shares Finance=30, Marketing=20")
    assert "Finance 30%, Marketing 20%" in (await client.last("po"))["text"]
    await client.say(
        "anna", "Shares of the dashboard with external auditors fail with a 500 error!"
    )
    assert (await client.last("po"))["buttons"], "a stakeholder's incident still breaks through"
    await client.say("po", "shares Finance=80, Marketing=40")
    assert "over 100%" in (await client.last("po"))["text"]

    await client.say("anna", "quiet hours 19:00-07:30")
    assert "19:00-07:30" in (await client.last("anna"))["text"]
    async with runtime.db.transaction() as uow:
        workspace = await demo(uow)
        anna = await uow.people.get(workspace_id=workspace.id, user_id="anna")
        assert anna is not None
        preferences = await uow.coaching.preferences(person_id=anna.id)
        assert preferences is not None and preferences.quiet_hours == "19:00-07:30"
        shares = await uow.coaching.desired_shares(workspace_id=workspace.id)
        assert {s.group_name: s.percent for s in shares} == {"Finance": 30, "Marketing": 20}


async def test_the_po_starts_the_contract_in_chat(client: Playground, runtime: Runtime) -> None:
    await client.say("po", "coaching")
    assert "coaching start" in (await client.last("po"))["text"]

    await client.say("po", "coaching start 2026-12-01")

    assert "started a coaching contract from 2026-12-01" in (await client.last("coach"))["text"]
    async with runtime.db.transaction() as uow:
        agreement = await uow.coaching.contract(workspace_id=(await demo(uow)).id)
        assert agreement is not None
        assert agreement.coach is not None and agreement.coach.platform_user_id == "coach"


async def test_requests_that_start_like_a_preference_are_requests(
    client: Playground, runtime: Runtime
) -> None:
    await client.say(
        "anna", "Quiet hours should be configurable in the app, because nurses work nights."
    )
    await client.say("anna", "Working days in the rota ignore public holidays.")

    assert len(await state.items(runtime)) == 2


async def test_a_coach_outside_the_contract_cannot_take_it_over(
    client: Playground, runtime: Runtime
) -> None:
    await contract(runtime, coach=None, email="ext@example.org", confidentiality="full")

    await client.say("coach", "coaching start 2027-03-01")

    assert "Only the PO and the coach of the contract" in (await client.last("coach"))["text"]
    async with runtime.db.transaction() as uow:
        agreement = await uow.coaching.contract(workspace_id=(await demo(uow)).id)
        assert agreement is not None
        assert agreement.coach_id is None
        assert agreement.coach_email == "ext@example.org"
    [entry] = await state.audit(runtime)
    assert entry.reason == "not a party to the coaching contract"


async def test_a_new_cadence_replans_the_sessions_ahead(
    client: Playground, runtime: Runtime
) -> None:
    from datetime import date

    await contract(runtime, every_days=14, sessions=3, start=date(2026, 12, 1))
    async with runtime.db.transaction() as uow:
        agreement = await uow.coaching.contract(workspace_id=(await demo(uow)).id)
        assert agreement is not None
        first = (await uow.coaching.sessions(contract_id=agreement.id))[0]
        first.scope = "Saying no"

    await client.say("po", "coaching every 1 week")
    proposal = await client.last("coach")
    await client.click("coach", "contract_confirm", button(proposal, "contract_confirm")["value"])

    async with runtime.db.transaction() as uow:
        agreement = await uow.coaching.contract(workspace_id=(await demo(uow)).id)
        assert agreement is not None
        sessions = await uow.coaching.sessions(contract_id=agreement.id)
        days = [s.starts_at.date().isoformat() for s in sessions]
    assert days == ["2026-12-01", "2026-12-08", "2026-12-15"]
    assert sessions[0].scope == "Saying no"
