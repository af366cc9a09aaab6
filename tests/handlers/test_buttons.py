"""Who may click a button is declared where it is registered (``on_action(roles=...)``); the
middleware that guards what is typed checks it and audits a refusal, so no handler does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.kernel.events import ActionEvent
from bot.runtime.app import Runtime
from handlers import outbox
from handlers.context import Context
from handlers.registry import ACTIONS, on_action
from handlers.routing import EVERYONE
from handlers.team import TeamSpec, set_team
from storage.models import Role
from tests import state
from tests.playground import Playground

PO_ONLY = "test_po_only"
FOR_EVERYONE = "test_for_everyone"


@pytest.fixture
def clicked() -> Iterator[list[tuple[str, str]]]:
    """Two buttons registered for this test only: one for the PO, one for everyone; the list
    says who got through to their handler."""
    calls: list[tuple[str, str]] = []

    async def record(event: ActionEvent, ctx: Context) -> None:
        calls.append((event.action_id, ctx.actor.platform_user_id))
        await outbox.answer(ctx, event, "Clicked.")

    on_action(PO_ONLY, roles=(Role.PO,))(record)
    on_action(FOR_EVERYONE, roles=EVERYONE)(record)
    try:
        yield calls
    finally:
        del ACTIONS[PO_ONLY], ACTIONS[FOR_EVERYONE]


async def make_delegate(runtime: Runtime, user: str) -> None:
    async with runtime.db.transaction() as uow:
        spec = TeamSpec(platform="playground", workspace="demo", delegates=[user])
        await set_team(uow, spec, runtime.services.defaults, runtime.services.clock.now())


async def delegates(runtime: Runtime) -> list[str]:
    async with runtime.db.transaction() as uow:
        workspace = await uow.workspaces.get(platform="playground", external_id="demo")
        assert workspace is not None
        people = await uow.people.with_roles(workspace_id=workspace.id, roles=[Role.DELEGATE])
        return [person.platform_user_id for person in people]


def test_a_button_is_for_the_deciders_unless_registered_otherwise() -> None:
    assert ACTIONS["approve_top"].roles == {Role.PO, Role.DELEGATE}
    assert ACTIONS["set_delegates"].roles == {Role.PO}
    assert ACTIONS["urgency_yes"].roles == EVERYONE


async def test_a_po_only_button_clicked_by_a_delegate_is_refused_by_the_middleware_and_audited(
    client: Playground, runtime: Runtime, clicked: list[tuple[str, str]]
) -> None:
    await make_delegate(runtime, "ben")

    await client.click("ben", PO_ONLY, "7", input="typed")

    assert clicked == [], "the handler never ran"
    refusal = (await client.last("ben"))["text"]
    assert refusal == "Sorry, that is only for the PO. I've noted the attempt; nothing was changed."
    [entry] = await state.audit(runtime)
    assert (entry.actor_user_id, entry.action, entry.target, entry.reason) == (
        "ben",
        PO_ONLY,
        "7",
        "only for po",
    )

    await client.click("po", PO_ONLY, "7")

    assert clicked == [(PO_ONLY, "po")]
    assert (await client.last("po"))["text"] == "Clicked."
    assert len(await state.audit(runtime)) == 1


async def test_a_delegate_cannot_change_the_delegates(client: Playground, runtime: Runtime) -> None:
    await make_delegate(runtime, "ben")

    await client.click("ben", "set_delegates", "1", input="anna")

    refusal = (await client.last("ben"))["text"]
    assert refusal == "Only the PO can change the delegates; nothing was changed."
    assert await delegates(runtime) == ["ben"]
    [entry] = await state.audit(runtime)
    assert (entry.actor_user_id, entry.action, entry.target, entry.reason) == (
        "ben",
        "set_delegates",
        "anna",
        "not the PO",
    )


async def test_someone_who_is_no_decider_hears_what_any_deciders_button_says(
    client: Playground, runtime: Runtime
) -> None:
    await client.click("anna", "set_delegates", "1", input="anna")

    assert "only the PO and their delegates" in (await client.last("anna"))["text"]
    assert await delegates(runtime) == []
    [entry] = await state.audit(runtime)
    assert (entry.actor_user_id, entry.action, entry.target, entry.reason) == (
        "anna",
        "set_delegates",
        "1",
        "not a decider",
    )


async def test_a_button_registered_for_everyone_works_for_a_stakeholder(
    client: Playground, runtime: Runtime, clicked: list[tuple[str, str]]
) -> None:
    await client.click("anna", FOR_EVERYONE, "1")

    assert clicked == [(FOR_EVERYONE, "anna")]
    assert (await client.last("anna"))["text"] == "Clicked."
    assert await state.audit(runtime) == []


async def test_an_unknown_button_is_refused_and_audited_by_the_middleware(
    client: Playground, runtime: Runtime
) -> None:
    await client.click("anna", "no_such_button", "3")

    refusal = (await client.last("anna"))["text"]
    assert refusal == "I don't know that button (any more); nothing was changed."
    [entry] = await state.audit(runtime)
    assert (entry.actor_user_id, entry.action, entry.target, entry.reason) == (
        "anna",
        "no_such_button",
        "3",
        "unknown action",
    )
