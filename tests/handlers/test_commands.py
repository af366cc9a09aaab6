"""Chat commands in English and Dutch, and each person's own language."""

from __future__ import annotations

from bot.runtime.app import Runtime
from tests import state
from tests.playground import Playground

FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)


async def set_language(runtime: Runtime, user: str, language: str) -> None:
    async with runtime.db.transaction() as uow:
        workspace = await uow.workspaces.get(platform="playground", external_id="demo")
        assert workspace is not None
        person = await uow.people.get(workspace_id=workspace.id, user_id=user)
        assert person is not None
        person.language = language


async def test_help_lists_the_commands_for_the_role(client: Playground) -> None:
    await client.say("anna", "help")
    stakeholder_help = (await client.last("anna"))["text"]
    await client.say("po", "help")
    po_help = (await client.last("po"))["text"]

    assert "status" in stakeholder_help
    assert "queue" not in stakeholder_help
    assert "queue" in po_help


async def test_queue_is_for_deciders_only(client: Playground) -> None:
    await client.say("anna", "queue")

    assert "for the PO and their delegates" in (await client.last("anna"))["text"]


async def test_queue_shows_every_waiting_item_with_buttons(client: Playground) -> None:
    await client.say("po", "queue")
    assert "empty" in (await client.last("po"))["text"]

    await client.say("anna", FEATURE)
    await client.say("anna", "Can the login button be orange instead of blue?")
    await client.say("po", "Queue!")

    batch = await client.last("po")
    assert "2 requests" in batch["text"]
    assert len(batch["sections"]) == 2
    assert {b["action_id"] for b in batch["buttons"]} >= {"approve_top", "queue_open"}


async def test_status_lists_the_stakeholders_own_requests(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE)
    await client.say(
        "dirk", "Could we get a dark mode? Night shifts find the white screens tiring."
    )

    await client.say("anna", "status of my requests")

    status = await client.last("anna")
    [anna_item, _] = await state.items(runtime)
    assert [s["title"] for s in status["sections"]] == [f"#{anna_item.id} {anna_item.title}"]
    assert "waiting for the PO" in str(status["sections"])


async def test_a_dutch_speaker_gets_dutch_texts_and_dutch_commands(
    client: Playground, runtime: Runtime
) -> None:
    await set_language(runtime, "anna", "nl")
    await set_language(runtime, "po", "nl")

    await client.say(
        "anna",
        "Kunnen we een CSV-export maken van het declaratie-overzicht? Dan hoeft finance "
        "de uitbetalingen niet meer over te typen.",
    )
    ack = (await client.last("anna"))["text"]
    assert "dinsdag en donderdag om 09:00" in ack
    assert "dinsdag 24 november" in ack

    await client.say("po", "wachtrij")
    batch = await client.last("po")
    assert "1 verzoek wacht op een besluit" in batch["text"]
    [item] = await state.items(runtime)

    await client.click("po", "approve_top", str(item.id))

    assert "backlog" in (await client.last("anna"))["text"]
    assert "Goed nieuws" in (await client.last("anna"))["text"]
