"""The whole heat-shield loop through the playground's HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.playground import Playground, button


async def test_incident_breaks_through_and_the_stakeholder_hears_the_outcome(
    client: Playground,
) -> None:
    await client.say(
        "anna", "The customer portal shows a 500 error on login since 10:00, nobody can get in!"
    )

    ack = await client.last("anna")
    assert "urgent" in ack["text"].lower()
    card = await client.last("po")
    assert card["sections"], card
    approve = button(card, "approve_top")

    await client.click("po", "approve_top", approve["value"])

    updated = (await client.inbox("po"))[0]
    assert updated["id"] == card["id"]
    assert [b["action_id"] for b in updated["buttons"]] == ["resolve"], "only Resolve is left"
    assert "Approved" in str(updated["sections"])
    outcome = await client.last("anna")
    assert "someone is on it" in outcome["text"]
