"""The playground API answers bad input clearly and never loses what it accepted."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from bot.runtime.app import Runtime
from storage.models import InboundRecord
from tests import state
from tests.playground import Playground

FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)


async def test_healthz_answers_when_the_database_is_reachable(client: Playground) -> None:
    response = await client.http.get("/healthz")

    assert response.status == 200
    assert (await response.json())["database"] == "ok"


async def test_the_page_is_served(client: Playground) -> None:
    response = await client.http.get("/playground")

    assert response.status == 200
    assert "Heatshield" in await response.text()


async def test_workspaces_list_the_demo_people(client: Playground) -> None:
    response = await client.http.get("/playground/api/workspaces")

    [demo] = (await response.json())["workspaces"]
    roles = {person["user"]: person["role"] for person in demo["people"]}
    assert roles == {"po": "po", "coach": "coach", "anna": "stakeholder", "ben": "member"}


async def test_the_same_message_id_twice_creates_one_request(
    client: Playground, runtime: Runtime
) -> None:
    first = await client.say("anna", FEATURE, id="msg-1")
    again = await client.say("anna", FEATURE, id="msg-1")

    assert first["duplicate"] is False
    assert again["duplicate"] is True
    assert len(await state.items(runtime)) == 1
    assert await state.count(runtime, InboundRecord) == 1
    assert len(await client.inbox("anna")) == 1


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"workspace": "demo", "text": "hi"}, 400, "user"),
        ({"workspace": "demo", "user": "a b", "text": "hi"}, 400, "user: use 1 to 64 letters"),
        ({"workspace": "nowhere", "user": "anna", "text": "hi"}, 404, "nowhere"),
        ({"workspace": "demo", "user": "anna", "text": 5}, 400, "text"),
        (
            {"workspace": "demo", "user": "anna", "text": "hi", "admin": True},
            400,
            "admin: is not a field",
        ),
        (["not", "an", "object"], 400, "JSON object"),
        ({"workspace": "demo", "user": "anna", "text": "x" * 20_001}, 400, "text"),
        (
            {"workspace": "de\x00mo", "user": "anna", "text": "hi"},
            400,
            "workspace: an id may not contain control characters",
        ),
        ({"workspace": "demo", "user": "anna", "text": "hi", "id": "m\x00"}, 400, "key"),
        ({"workspace": "demo", "user": "anna", "text": [[[[["deep"]]]]]}, 400, "text"),
        ({"workspace": "demo", "user": "dirk", "text": "hi"}, 404, '"create": true'),
        ({"workspace": "demo", "user": "anna", "text": ""}, 400, "text: is empty"),
        ({"workspace": "demo", "user": "anna", "text": " \n\t "}, 400, "text: is empty"),
        ({"workspace": "demo", "user": "anna"}, 400, "text: is empty"),
        (
            {"workspace": "demo", "user": "anna", "text": "hi", "create": "yes please"},
            400,
            "create",
        ),
    ],
)
async def test_bad_messages_get_a_clear_error(
    client: Playground, runtime: Runtime, body: object, status: int, error: str
) -> None:
    response = await client.http.post("/playground/api/messages", json=body)

    assert response.status == status
    assert error in (await response.json())["error"]
    assert await state.count(runtime, InboundRecord) == 0


async def test_a_body_that_is_not_json_is_refused(client: Playground) -> None:
    response = await client.http.post(
        "/playground/api/messages", data=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status == 400
    assert "not valid JSON" in (await response.json())["error"]


async def test_an_inbox_query_with_a_nul_byte_is_a_clear_400(client: Playground) -> None:
    response = await client.http.get(
        "/playground/api/inbox", params={"workspace": "\x00", "user": "anna"}
    )

    assert response.status == 400
    assert "workspace: is not a valid id" in (await response.json())["error"]


async def test_a_body_nested_50000_deep_is_refused(client: Playground) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    response = await client.http.post(
        "/playground/api/messages", data=deep, headers={"Content-Type": "application/json"}
    )

    assert response.status == 400


async def test_a_nul_byte_in_the_text_is_dropped_and_the_request_kept(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE.replace("CSV", "C\x00SV"))

    [item] = await state.items(runtime)
    assert item.request.text == FEATURE


async def test_the_page_sends_security_headers_that_allow_its_own_script_only(
    client: Playground,
) -> None:
    page = await client.http.get("/playground")
    api = await client.http.get("/playground/api/workspaces")

    for response in (page, api):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    [script] = re.findall(r"<script>(.*?)</script>", await page.text(), flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy
    assert "unsafe-inline" not in policy


async def test_a_body_over_a_megabyte_is_refused(client: Playground) -> None:
    response = await client.http.post("/playground/api/messages", data=b"x" * (1024 * 1024 + 10))

    assert response.status == 413


async def test_an_action_without_a_value_is_refused(client: Playground) -> None:
    response = await client.http.post(
        "/playground/api/actions", json={"workspace": "demo", "user": "po", "action_id": "x"}
    )

    assert response.status == 400
    assert "value" in (await response.json())["error"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"workspace": "demo"}, 400),
        ({"user": "po"}, 400),
        ({"workspace": "nowhere", "user": "po"}, 404),
        ({"workspace": "demo", "user": "po", "after": "x"}, 400),
    ],
)
async def test_bad_inbox_queries_get_a_clear_error(
    client: Playground, query: dict[str, str], status: int
) -> None:
    response = await client.http.get("/playground/api/inbox", params=query)

    assert response.status == status
    assert (await response.json())["error"]


async def test_the_inbox_can_be_read_from_an_id_on(client: Playground) -> None:
    await client.say("anna", "help")
    await client.say("anna", "status")
    _, help_text, said_status, status_text = await client.conversation("anna")

    response = await client.http.get(
        "/playground/api/inbox",
        params={"workspace": "demo", "user": "anna", "after": help_text["id"]},
    )

    assert [m["id"] for m in (await response.json())["messages"]] == [
        said_status["id"],
        status_text["id"],
    ]


async def test_an_unexpected_error_is_a_json_500_and_the_inbound_is_kept(
    client: Playground, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_claim() -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(runtime.worker, "_claim_batch", broken_claim)

    response = await client.http.post(
        "/playground/api/messages", json={"workspace": "demo", "user": "anna", "text": FEATURE}
    )

    assert response.status == 500
    assert "nothing you sent was lost" in (await response.json())["error"]
    assert len(await state.items(runtime)) == 1


async def test_healthz_says_503_when_the_database_is_unreachable(clock: object) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.kernel.settings import load_settings
    from bot.runtime.app import build_runtime, create_app

    unreachable = "postgresql+asyncpg://nobody@127.0.0.1:9/nothing"
    runtime = build_runtime(load_settings(database_url=unreachable))
    async with TestClient(TestServer(create_app(runtime, background=False))) as http:
        response = await http.get("/healthz")

        assert response.status == 503
        assert (await response.json())["database"] == "unreachable"


async def test_two_people_may_use_the_same_client_message_id(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE, id="1")
    second = await client.say("dirk", FEATURE + " Also for credit notes.", id="1")

    assert second["duplicate"] is False
    assert len(await state.items(runtime)) == 2


async def test_an_item_id_beyond_the_database_range_is_simply_not_found(
    client: Playground,
) -> None:
    await client.click("po", "approve_top", "99999999999")

    assert "can't find that request" in (await client.last("po"))["text"]
    response = await client.http.get(
        "/playground/api/inbox", params={"workspace": "demo", "user": "po", "after": "9" * 12}
    )
    assert response.status == 400


async def test_an_unknown_user_is_taken_in_when_the_call_says_so(
    client: Playground, runtime: Runtime
) -> None:
    body = {"workspace": "demo", "user": "dirk", "text": FEATURE, "create": True}
    response = await client.http.post("/playground/api/messages", json=body)

    assert response.status == 200
    [item] = await state.items(runtime)
    assert item.request.stakeholder.platform_user_id == "dirk"
    assert item.request.stakeholder.role == "stakeholder"


async def test_a_forward_needs_no_text_of_its_own(client: Playground, runtime: Runtime) -> None:
    body = {"workspace": "demo", "user": "ben", "forward_of": {"user": "anna", "text": FEATURE}}
    response = await client.http.post("/playground/api/messages", json=body)

    assert response.status == 200
    assert len(await state.items(runtime)) == 1


async def test_the_conversation_keeps_what_the_person_wrote_before_the_replies(
    client: Playground,
) -> None:
    await client.say("anna", FEATURE, id="m-1")
    await client.say("anna", FEATURE, id="m-1")  # the same message again: kept once
    await client.say("ben", "", forward_of={"user": "anna", "text": "Refunds in the report?"})

    anna = await client.conversation("anna")
    assert [(m["from"], m["text"][:12]) for m in anna[:2]] == [
        ("person", FEATURE[:12]),
        ("bot", "Thanks, Anna"),
    ]
    assert sum(m["from"] == "person" for m in anna) == 1, "a redelivery is not shown twice"
    mine = anna[0]
    assert mine["sections"] == [] and mine["buttons"] == [] and mine["forwarded_from"] is None
    ben = await client.conversation("ben")
    assert ben[0]["from"] == "person"
    assert (ben[0]["text"], ben[0]["forwarded_from"]) == ("Refunds in the report?", "anna")


async def test_a_message_whose_own_copy_cannot_be_kept_is_refused_then_kept_once_when_resent(
    client: Playground, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing is accepted when what the person wrote cannot be kept: the client is asked to
    send it again (503), and the resent message is kept once, before the bot's replies."""
    from sqlalchemy.exc import OperationalError

    from storage.repositories import PlaygroundRepository

    real_add = PlaygroundRepository.add

    async def failing_add(self: PlaygroundRepository, message: object) -> object:
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    body = {"workspace": "demo", "user": "anna", "text": FEATURE, "id": "m-lost"}
    monkeypatch.setattr(PlaygroundRepository, "add", failing_add)
    refused = await client.http.post("/playground/api/messages", json=body)
    monkeypatch.setattr(PlaygroundRepository, "add", real_add)

    assert refused.status == 503
    assert refused.headers["Retry-After"] == "1"
    assert "send it again" in (await refused.json())["error"]
    assert await state.count(runtime, InboundRecord) == 0

    again = await client.say("anna", FEATURE, id="m-lost")

    assert again["duplicate"] is False
    anna = await client.conversation("anna")
    assert [m["from"] for m in anna[:2]] == ["person", "bot"]
    assert sum(m["from"] == "person" for m in anna) == 1
