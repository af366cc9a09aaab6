"""The coach's digest on a known week, within the contract's confidentiality; reflections,
the next session's scope, nudges and the final evaluation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.kernel.clock import FakeClock
from bot.runtime.app import Runtime
from handlers.coaching.digest import build_digest
from handlers.coaching.preferences import set_shares
from tests import state
from tests.handlers.coaching_support import contract, demo, preferences, run_tick, session
from tests.playground import Playground

FINANCE_ASK = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)
FINANCE_OTHER = (
    "Could the invoice page show the payment due date? Customers keep calling support to ask "
    "when they have to pay."
)
MARKETING_ASK = (
    "Could we get a banner on the home page for the spring campaign, so visitors see the "
    "discount before they leave?"
)


async def known_week(client: Playground, runtime: Runtime, clock: FakeClock) -> None:
    """Week 48 (23-29 November 2026): Finance asks twice, Marketing once, via the back door."""
    await preferences(runtime, "anna", group="Finance")
    await preferences(runtime, "dirk", group="Marketing")
    async with runtime.db.transaction() as uow:
        await set_shares(uow, await demo(uow), {"Finance": 30, "Marketing": 20})
    await client.say("anna", FINANCE_ASK)
    await client.say("anna", FINANCE_OTHER)
    await client.say("ben", "", forward_of={"user": "dirk", "text": MARKETING_ASK})
    first, second, third = await state.items(runtime)
    clock.advance(timedelta(hours=10))
    await client.click("po", "approve_top", str(first.id))
    clock.advance(timedelta(hours=10))
    await client.click("po", "decline", str(second.id), input="Support can answer that now.")
    await client.click("po", "approve_bottom", str(third.id))


async def digest_of(runtime: Runtime, week: str = "2026-W48") -> dict[str, object]:
    async with runtime.db.transaction() as uow:
        workspace = await demo(uow)
        agreement = await uow.coaching.contract(workspace_id=workspace.id)
        assert agreement is not None
        return (await build_digest(uow, workspace, agreement, week)).to_json()


async def test_the_digest_figures_on_a_known_week(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await contract(runtime, confidentiality="names")
    await known_week(client, runtime, clock)

    digest = await digest_of(runtime)

    assert digest["received"] == 3
    assert digest["by_source"] == {"direct": 2, "channel": 0, "back_door": 1}
    assert digest["by_type"]["feature"] == 3
    assert digest["decisions"] == {"approve": 2, "defer": 0, "decline": 1, "merge": 0, "ask": 0}
    # Decided after 10, 20 and 20 hours: the median is 20.
    assert digest["median_hours_to_decision"] == 20.0
    shares = {share["group"]: share for share in digest["shares"]}
    assert shares["Finance"]["requests"] == 2
    assert shares["Finance"]["request_share"] == 66.7
    assert shares["Finance"]["approval_share"] == 50.0
    assert shares["Finance"]["desired"] == 30
    assert shares["Marketing"]["approvals"] == 1
    assert [item["stakeholder"] for item in digest["items"]] == ["Anna", "Anna", "dirk"]
    assert (digest["first_day"], digest["last_day"]) == ("2026-11-23", "2026-11-29")
    assert (digest["held_for_review"], digest["broke_through"]) == (3, 0)
    assert digest["back_door_share"] == 33.3
    # Received Monday 10:30, promised Tuesday's review; decided Monday 20:30 and Tuesday 06:30.
    assert (digest["heard_in_time"], digest["heard_late"]) == (3, 0)
    assert digest["trend"] == [
        {"week": "2026-W48", "received": 3, "back_door": 1, "approved": 2, "declined": 1}
    ]


async def test_a_decision_after_the_promised_day_is_counted_late_and_the_trend_grows(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await contract(runtime)
    await client.say("anna", FINANCE_ASK)  # Monday 23 November: promised Tuesday 24
    [item] = await state.items(runtime)
    clock.advance(timedelta(days=8))  # Tuesday 1 December
    await client.click("po", "approve_top", str(item.id))

    late = await digest_of(runtime, "2026-W49")

    assert (late["heard_in_time"], late["heard_late"]) == (0, 1)
    assert late["median_hours_to_decision"] == 192.0
    assert [(w["week"], w["received"], w["approved"]) for w in late["trend"]] == [
        ("2026-W48", 1, 0),
        ("2026-W49", 0, 1),
    ]


async def test_under_aggregate_the_digest_names_nobody_and_quotes_no_reflection(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await contract(runtime, confidentiality="aggregate")
    await client.say("anna", FINANCE_ASK)  # anna has no group: she must stay anonymous
    clock.set(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))  # Friday 16:00: the reflection
    await run_tick(runtime)
    await client.say("po", "I said no to Finance twice and felt guilty about it.")

    digest = json.dumps(await digest_of(runtime))

    assert "Anna" not in digest and "anna" not in digest
    assert "CSV" not in digest
    assert "guilty" not in digest
    assert '"group": "#1"' in digest


async def test_under_full_the_coach_reads_the_reflection(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await contract(runtime, confidentiality="full", themes=["stakeholders"])
    clock.set(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    await run_tick(runtime)
    prompt = (await client.last("po"))["text"]
    assert "Whose voice weighed most" in prompt
    assert "Your coach reads your answer" in prompt

    await client.say("po", "I said no to Finance twice and felt guilty about it.")
    assert "coach reads it" in (await client.last("po"))["text"]
    assert await state.items(runtime) == [], "the answer is no request"

    digest = await digest_of(runtime)
    assert digest["reflections"][0]["answer"].startswith("I said no to Finance")

    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # Monday 09:00: the coach's digest
    await run_tick(runtime)
    delivered = await client.last("coach")
    assert "Weekly digest" in delivered["text"]
    assert "felt guilty" in json.dumps(delivered["sections"])


async def test_the_weekly_reflection_asks_about_the_weeks_own_data(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await contract(runtime, themes=["role"])
    await known_week(client, runtime, clock)

    clock.set(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    await run_tick(runtime)

    prompt = (await client.last("po"))["text"]
    assert "You declined 1 request," in prompt
    assert "Finance" in prompt
    assert "Where did you step in" in prompt
    assert "stays private" in prompt


async def test_after_a_session_the_coach_records_the_next_scope(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await contract(runtime)
    first = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    await session(runtime, first)
    await session(runtime, first + timedelta(days=14))

    clock.set(first + timedelta(hours=1))  # the session has just ended
    await run_tick(runtime)
    question = (await client.last("coach"))["text"]
    assert "scope of the next one, on Tuesday 8 December" in question

    clock.advance(timedelta(minutes=30))
    await run_tick(runtime)
    reflection = (await client.last("po"))["text"]
    assert "How was your coaching session?" in reflection

    await client.say("coach", "Role clarity: when to step in during refinement.")

    assert "is noted" in (await client.last("coach"))["text"]
    assert "Role clarity" in (await client.last("po"))["text"]
    async with runtime.db.transaction() as uow:
        agreement = await uow.coaching.contract(workspace_id=(await demo(uow)).id)
        assert agreement is not None
        sessions = await uow.coaching.sessions(contract_id=agreement.id)
        assert sessions[1].scope == "Role clarity: when to step in during refinement."


async def test_a_request_waiting_past_the_promise_nudges_the_po(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await client.say("anna", FINANCE_ASK)  # Monday: promised an answer by Tuesday's review
    [item] = await state.items(runtime)

    clock.set(datetime(2026, 11, 25, 7, 59, tzinfo=UTC))
    await run_tick(runtime)
    assert not any("longer than promised" in m["text"] for m in await client.inbox("po"))

    clock.set(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))  # Wednesday 09:00
    await run_tick(runtime)
    nudge = await client.last("po")
    assert "longer than promised" in nudge["text"]
    assert any(b["value"] == str(item.id) for b in nudge["buttons"])


async def test_the_final_evaluation_after_the_last_session(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    await contract(runtime, sessions=1)
    await known_week(client, runtime, clock)
    last = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    await session(runtime, last)

    clock.set(last + timedelta(hours=4))
    await run_tick(runtime)

    for user in ("po", "coach"):
        evaluation = next(
            m for m in await client.inbox(user) if "trajectory is complete" in m["text"]
        )
        assert "3 requests came in, 1 of them through the back door" in evaluation["text"]
        assert evaluation["image"] is not None


async def test_the_median_counts_only_first_decisions_made_in_the_week(
    client: Playground, runtime: Runtime, clock: FakeClock
) -> None:
    """An item deferred last week and approved this week was first decided last week."""
    await contract(runtime, confidentiality="names")
    await client.say("anna", FINANCE_ASK)
    [deferred] = await state.items(runtime)
    clock.advance(timedelta(hours=10))
    await client.click("po", "defer_until", str(deferred.id), input="2026-12-01")

    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # week 49: it is back in the queue
    await run_tick(runtime)
    await client.click("po", "approve_top", str(deferred.id))
    await client.say("anna", FINANCE_OTHER)
    fresh = (await state.items(runtime))[-1]
    clock.advance(timedelta(hours=5))
    await client.click("po", "approve_bottom", str(fresh.id))

    assert (await digest_of(runtime, "2026-W48"))["median_hours_to_decision"] == 10.0
    week = await digest_of(runtime, "2026-W49")
    assert week["decisions"]["approve"] == 2
    assert week["median_hours_to_decision"] == 5.0
