"""The heat-shield loop in Teams: activities over real HTTP, replies at a fake Bot Connector."""

from __future__ import annotations

from sqlalchemy import select

from bot.runtime.app import Runtime
from storage.models import InboundRecord, ItemStatus, OutboxMessage, Person, Source
from tests import state
from tests.adapters.teams.conftest import (
    ANNA,
    ANNA_CHAT,
    BEN,
    BOT,
    CAROL_AAD,
    CHANNEL_THREAD,
    PO,
    TENANT,
    FakeConnector,
    Teams,
    activity,
    card_of,
    submit_data,
    submits,
)

INCIDENT = "The customer portal shows a 500 error on login since 10:00, nobody can get in!"


async def person(runtime: Runtime, user: str) -> Person:
    async with runtime.db.transaction() as uow:
        found = (
            await uow.session.scalars(select(Person).where(Person.platform_user_id == user))
        ).one()
        uow.session.expunge(found)
        return found


async def incident_card(teams: Teams) -> tuple[str, str, dict[str, object]]:
    """Anna reports an incident in her chat with the bot; the PO's card, where it went."""
    delivered = await teams.send(activity("personal_message"))
    assert delivered == 2  # the acknowledgement and the PO's card
    [created] = teams.connector.created()
    po_chat = created.answered_id
    assert po_chat is not None
    [card_post] = teams.connector.posts(po_chat)
    assert card_post.answered_id is not None
    return po_chat, card_post.answered_id, card_of(card_post.body)


def po_submit(po_chat: str, data: dict[str, object], activity_id: str) -> dict[str, object]:
    conversation = {"conversationType": "personal", "tenantId": TENANT, "id": po_chat}
    return activity("card_submit", id=activity_id, conversation=conversation, value=data)


async def test_a_request_in_personal_chat_goes_round_the_whole_loop(
    teams: Teams, connector: FakeConnector, runtime: Runtime
) -> None:
    po_chat, card_id, card = await incident_card(teams)

    [ack] = connector.texts(ANNA_CHAT)
    assert "urgent" in ack.lower()
    [created] = connector.created()
    assert created.body["members"] == [{"id": PO}]
    assert created.body["bot"] == {"id": BOT}
    assert created.body["tenantId"] == TENANT
    assert "Anna de Vries" in str(card) and "nobody can get in" in str(card)
    approve = submit_data(card, "approve_top")

    await teams.send(po_submit(po_chat, approve, "1763891100555"))

    [update] = connector.updates()
    assert update.conversation == po_chat
    assert update.activity_id == card_id
    assert update.body["id"] == card_id
    updated = card_of(update.body)
    assert [s["data"]["action_id"] for s in submits(updated)] == ["resolve"], "Resolve is left"
    assert "Approved by Petra Visser" in str(updated)
    told = connector.texts(ANNA_CHAT)[-1]
    assert "someone is on it" in told
    [item] = await state.items(runtime)
    assert item.status == ItemStatus.APPROVED
    assert item.request.source == Source.DIRECT


async def test_the_person_details_come_from_the_activity(teams: Teams, runtime: Runtime) -> None:
    await teams.send(activity("personal_message", locale="nl-NL", localTimezone="Asia/Tokyo"))

    anna = await person(runtime, ANNA)
    assert anna.display_name == "Anna de Vries"
    assert anna.timezone == "Asia/Tokyo"
    assert anna.language == "nl"
    assert anna.direct_conversation is not None
    assert anna.direct_conversation["channel"] == ANNA_CHAT
    ack = teams.connector.texts(ANNA_CHAT)[0]
    assert ack.startswith("Dank je, Anna de Vries")


async def test_a_decision_with_input_carries_what_the_po_typed(
    teams: Teams, connector: FakeConnector, runtime: Runtime
) -> None:
    po_chat, _, card = await incident_card(teams)
    decline = submit_data(card, "decline")
    [show_card] = [
        action
        for action in _actions(card)
        if action["type"] == "Action.ShowCard" and "decline" in str(action["card"])
    ]
    [field] = show_card["card"]["body"]
    assert field["type"] == "Input.Text" and field["id"] == decline["input_id"]
    # Teams merges the typed value into the submit's data under the input's id.
    data = {**decline, decline["input_id"]: "We replaced the portal last week; use the new one."}

    await teams.send(po_submit(po_chat, data, "1763891100999"))

    assert "use the new one" in connector.texts(ANNA_CHAT)[-1]
    [item] = await state.items(runtime)
    assert item.status == ItemStatus.DECLINED


def _actions(node: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Action."):
            found.append(node)
        for value in node.values():
            found.extend(_actions(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_actions(value))
    return found


async def test_a_channel_mention_is_answered_in_its_thread(
    teams: Teams, connector: FakeConnector, runtime: Runtime
) -> None:
    await teams.send(activity("channel_mention"))

    [reply] = connector.posts(CHANNEL_THREAD)
    assert "urgent" in reply.body["text"].lower()
    [item] = await state.items(runtime)
    assert item.request.source == Source.CHANNEL
    assert item.request.text.startswith("Checkout is down")  # the bot's mention is gone
    assert item.request.stakeholder.display_name == "Bob Smith"
    bob = item.request.stakeholder
    assert bob.direct_conversation is None  # a channel is nobody's personal chat


async def test_send_to_product_owner_forwards_with_the_author_as_stakeholder(
    teams: Teams, connector: FakeConnector, runtime: Runtime
) -> None:
    # Teams needs a JSON answer to the invoke; an empty one closes the dialog.
    response = await teams.post(activity("message_action_submit"))
    assert response.status == 200
    assert await response.json() == {}
    await runtime.workers.drain()
    await runtime.worker.deliver_due()

    [item] = await state.items(runtime)
    request = item.request
    assert request.source == Source.BACK_DOOR
    assert request.stakeholder.platform_user_id == CAROL_AAD
    assert request.stakeholder.display_name == "Carol Jansen"
    assert request.forwarded_by is not None
    assert request.forwarded_by.platform_user_id == BEN
    assert "CSV export to the invoices page" in request.text
    assert "&amp;" not in request.text and "<p>" not in request.text
    members = {call.body["members"][0]["id"]: call.answered_id for call in connector.created()}
    assert set(members) == {BEN, CAROL_AAD}
    assert "passed Carol Jansen's request" in connector.texts(str(members[BEN]))[0]
    assert "Ben Bakker passed your message" in connector.texts(str(members[CAROL_AAD]))[0]
    # Nothing was posted in the channel where Ben found the message.
    assert all("thread.tacv2" not in (call.conversation or "") for call in connector.calls)


async def test_a_resent_activity_creates_nothing_new(
    teams: Teams, connector: FakeConnector, runtime: Runtime
) -> None:
    await teams.send(activity("personal_message"))
    calls = len(connector.calls)

    await teams.send(activity("personal_message"))

    assert len(await state.items(runtime)) == 1
    assert await state.count(runtime, InboundRecord) == 1
    assert len(connector.calls) == calls
    assert len(connector.texts(ANNA_CHAT)) == 1


async def test_a_forged_submit_by_someone_not_the_po_is_refused_and_audited(
    teams: Teams, connector: FakeConnector, runtime: Runtime
) -> None:
    _, _, card = await incident_card(teams)
    approve = submit_data(card, "approve_top")
    forged = activity(
        "card_submit",
        value=approve,
        **{
            key: activity("personal_message")[key]
            for key in ("from", "conversation", "id", "localTimezone")
        },
    )
    forged["id"] = "1763891200001"

    await teams.send(forged)

    assert "only the PO" in connector.texts(ANNA_CHAT)[-1]
    [entry] = await state.audit(runtime)
    assert entry.actor_user_id == ANNA
    assert entry.action == "approve_top"
    assert entry.reason == "not a decider"
    [item] = await state.items(runtime)
    assert item.status != ItemStatus.APPROVED
    assert connector.updates() == []


async def test_the_po_may_be_named_by_the_aad_object_id(
    teams: Teams, connector: FakeConnector, runtime: Runtime
) -> None:
    from handlers.team import TeamSpec, set_team
    from tests.adapters.teams.conftest import PO_AAD

    async with runtime.db.transaction() as uow:
        await set_team(
            uow,
            TeamSpec(platform="teams", workspace=TENANT, po=PO_AAD),
            runtime.services.defaults,
            runtime.services.clock.now(),
        )
    await teams.send(activity("personal_message"))
    [created] = connector.created()
    assert created.body["members"] == [{"id": PO_AAD, "aadObjectId": PO_AAD}]
    po_chat = str(created.answered_id)
    card = card_of(connector.posts(po_chat)[0].body)

    await teams.send(po_submit(po_chat, submit_data(card, "approve_top"), "1763891100777"))

    [item] = await state.items(runtime)
    assert item.status == ItemStatus.APPROVED
    assert await state.audit(runtime) == []
    po = await person(runtime, PO_AAD)
    assert po.direct_conversation is not None
    assert po.direct_conversation["channel"] == po_chat


async def test_installing_in_personal_chat_welcomes_and_remembers_the_chat(
    teams: Teams, connector: FakeConnector, runtime: Runtime
) -> None:
    await teams.send(activity("conversation_update_personal"))

    [welcome] = connector.texts(ANNA_CHAT)
    assert "Heatshield" in welcome
    assert "Hoi" in welcome  # the installer's locale is nl-NL
    anna = await person(runtime, ANNA)
    assert anna.direct_conversation is not None
    assert anna.direct_conversation["channel"] == ANNA_CHAT
    assert anna.direct_conversation["extra"]["serviceUrl"] == connector.service_url


async def test_installing_in_a_team_welcomes_the_channel(
    teams: Teams, connector: FakeConnector
) -> None:
    await teams.send(activity("conversation_update_team"))

    [welcome] = connector.posts()
    assert welcome.conversation == "19:5e6f7a8b9c0d4e1f8a2b3c4d5e6f7a8b@thread.tacv2"
    assert "Send to Product Owner" in welcome.body["text"]


async def test_someone_else_joining_is_not_an_installation(
    teams: Teams, connector: FakeConnector, runtime: Runtime
) -> None:
    joined = activity("conversation_update_team", membersAdded=[{"id": "29:1SomeoneNew"}])

    await teams.send(joined)

    assert connector.calls == []
    assert await state.count(runtime, InboundRecord) == 0


async def test_other_activities_are_acknowledged_and_ignored(
    teams: Teams, runtime: Runtime
) -> None:
    typing = activity("personal_message", type="typing")
    del typing["text"]

    await teams.send(typing)

    assert await state.count(runtime, InboundRecord) == 0
    assert await state.count(runtime, OutboxMessage) == 0


async def test_a_bots_message_cannot_be_forwarded_and_the_dialog_says_why(
    teams: Teams, runtime: Runtime
) -> None:
    invoke = activity("message_action_submit", locale="nl-NL")
    invoke["value"]["messagePayload"]["from"] = {
        "user": None,
        "application": {"applicationIdentityType": "bot", "id": "28:other", "displayName": "CI"},
    }

    response = await teams.post(invoke)

    assert response.status == 200
    answer = await response.json()
    assert answer["task"]["type"] == "message"
    assert answer["task"]["value"].startswith("Alleen een bericht")
    assert await state.count(runtime, InboundRecord) == 0
