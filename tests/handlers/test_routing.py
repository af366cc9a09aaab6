"""The router: one table of routes tried in order, help per role from it, roles checked and
refusals audited in one place, and one triage per message."""

from __future__ import annotations

from typing import Any

import pytest

from bot.runtime.app import Runtime
from handlers.routing import ORDER, ROUTES, Phrases, route, routes_in_order
from storage.models import Role
from tests import state
from tests.playground import Playground

ORANGE = "Can the login button be orange instead of blue?"
INCIDENT = "The customer portal shows a 500 error on login, nobody can get in!"
WHY = "Our brand colour is orange; marketing wants a consistent look."
DECISIONS = "approve"
FORWARD = "Send to Product Owner"
PROPOSE = "coaching every 2 weeks"


async def set_person(runtime: Runtime, user: str, **fields: Any) -> None:
    async with runtime.db.transaction() as uow:
        workspace = await uow.workspaces.get(platform="playground", external_id="demo")
        assert workspace is not None
        person = await uow.people.get(workspace_id=workspace.id, user_id=user)
        assert person is not None
        for name, value in fields.items():
            setattr(person, name, value)


async def help_for(client: Playground, user: str, word: str = "help") -> str:
    await client.say(user, word)
    return str((await client.last(user))["text"])


def test_every_route_in_the_order_is_registered_and_nothing_else() -> None:
    assert [r.name for r in routes_in_order()] == list(ORDER)
    assert set(ROUTES) == set(ORDER)


def test_a_route_without_a_place_in_the_order_is_refused() -> None:
    with pytest.raises(ValueError, match="no place in ORDER"):
        route("dance", Phrases(en=("dance",)))


def test_a_second_route_with_the_same_name_is_refused() -> None:
    with pytest.raises(ValueError, match="two routes"):
        route("help", Phrases(en=("help",)))(ROUTES["help"].handler)


@pytest.mark.parametrize(
    ("user", "role", "sees", "does_not_see"),
    [
        ("anna", Role.STAKEHOLDER, ["status", "backlog", "quiet hours"],
         ["queue", DECISIONS, "shares", "coaching", FORWARD]),
        ("ben", Role.MEMBER, ["status", FORWARD, "working days"],
         ["queue", DECISIONS, "shares", "coaching"]),
        ("ben", Role.DELEGATE, ["queue", DECISIONS, FORWARD],
         ["shares", "coaching"]),
        ("po", Role.PO, ["queue", DECISIONS, "shares Finance=30", PROPOSE, "coaching start"],
         []),
        ("coach", Role.COACH, [PROPOSE, "coaching start", "coaching reflection", "quiet hours"],
         ["queue", DECISIONS, "shares", FORWARD]),
    ],
)  # fmt: skip
async def test_each_role_sees_what_it_can_do_and_nothing_else(
    client: Playground,
    runtime: Runtime,
    user: str,
    role: Role,
    sees: list[str],
    does_not_see: list[str],
) -> None:
    await set_person(runtime, user, role=role)

    shown = await help_for(client, user)

    assert shown.startswith("Send me your request")
    for text in sees:
        assert text in shown
    for text in does_not_see:
        assert text not in shown


async def test_the_coach_gets_more_than_the_stakeholders_help(client: Playground) -> None:
    stakeholder = await help_for(client, "anna")
    coach = await help_for(client, "coach")

    assert coach != stakeholder
    assert set(stakeholder.splitlines()) < set(coach.splitlines())


async def test_help_is_in_the_readers_language(client: Playground, runtime: Runtime) -> None:
    await set_person(runtime, "po", language="nl")
    await set_person(runtime, "anna", language="nl")

    po = await help_for(client, "po", "hulp")
    anna = await help_for(client, "anna", "hulp")

    assert po.startswith("Stuur me je verzoek")
    for text in ("wachtrij:", "goedkeuren", "verdeling Finance=30", "coaching elke 2 weken"):
        assert text in po
    assert "queue" not in po
    assert "stille uren" in anna
    assert "wachtrij" not in anna and "goedkeuren" not in anna


async def test_a_command_for_other_roles_is_refused_politely_and_audited(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("coach", "queue")
    await set_person(runtime, "anna", language="nl")
    await client.say("anna", "wachtrij")

    assert "only for the PO and their delegates" in (await client.last("coach"))["text"]
    assert "alleen voor de PO en wie namens de PO beslist" in (await client.last("anna"))["text"]
    entries = await state.audit(runtime)
    assert [(e.actor_user_id, e.action, e.reason) for e in entries] == [
        ("coach", "queue", "not a decider"),
        ("anna", "queue", "not a decider"),
    ]
    assert await state.items(runtime) == [], "a refused command is no request"


async def test_coaching_words_of_someone_else_are_a_request_not_a_refusal(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("ben", "Shares of the dashboard with external auditors should be possible.")

    assert len(await state.items(runtime)) == 1
    assert await state.audit(runtime) == []


@pytest.mark.parametrize(
    ("message", "items"),
    [(INCIDENT, 2), (WHY, 1)],
    ids=["cannot wait: a new request", "the answer"],
)
async def test_a_message_after_an_open_question_is_triaged_once(
    client: Playground,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    message: str,
    items: int,
) -> None:
    await client.say("anna", ORANGE)  # asks "what problem does this solve?"
    service = runtime.services.triage
    triaged: list[str] = []
    original = service.triage

    async def counted(text: str, *args: Any, **kwargs: Any) -> Any:
        triaged.append(text)
        return await original(text, *args, **kwargs)

    monkeypatch.setattr(service, "triage", counted)

    await client.say("anna", message)

    assert triaged == [message]
    assert len(await state.items(runtime)) == items


async def test_the_order_decides_between_routes_that_both_match(
    client: Playground, runtime: Runtime
) -> None:
    """ "status" is a command even while a question is open: commands come first."""
    await client.say("anna", ORANGE)

    await client.say("anna", "status")

    assert (await client.last("anna"))["text"] == "Your requests:"
    [item] = await state.items(runtime)
    assert item.request.clarification is None
