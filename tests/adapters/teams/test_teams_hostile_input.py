"""Whatever reaches POST /api/messages gets a clear answer, never a 500, and replies only ever
go to a Bot Connector: an https serviceUrl, or plain http on this machine."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.runtime.app import Runtime
from storage.models import InboundRecord
from tests import state
from tests.adapters.teams.conftest import Teams, activity

FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)


@pytest.mark.parametrize(
    "service_url",
    [
        pytest.param(5, id="a-number"),
        pytest.param(["https://smba.trafficmanager.net/emea/"], id="a-list"),
        pytest.param("file:///etc/passwd", id="a-file"),
        pytest.param("gopher://127.0.0.1:70/", id="gopher"),
        pytest.param("http://smba.example.org/emea/", id="plain-http-elsewhere"),
        pytest.param("https://", id="no-host"),
        pytest.param("http://[::1", id="unparseable"),
        pytest.param(None, id="missing"),
    ],
)
async def test_an_activity_whose_service_url_is_no_connector_is_refused(
    teams: Teams, runtime: Runtime, service_url: Any
) -> None:
    body = copy.deepcopy(activity("personal_message"))
    if service_url is None:
        del body["serviceUrl"]
    else:
        body["serviceUrl"] = service_url

    response = await teams.http.post("/api/messages", json=body)

    assert response.status == 400
    assert "serviceUrl" in (await response.json())["error"]
    assert await state.count(runtime, InboundRecord) == 0
    assert teams.connector.calls == []


async def test_an_activity_nested_50000_deep_is_refused(teams: Teams) -> None:
    deep = '{"type": "message", "value": ' + "[" * 50_000 + "]" * 50_000 + "}"
    response = await teams.http.post(
        "/api/messages", data=deep, headers={"Content-Type": "application/json"}
    )

    assert response.status == 400


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"from": {"id": "29:1\x00abc", "name": "Anna"}}, id="nul-in-sender"),
        pytest.param({"id": "1\x00"}, id="nul-in-activity-id"),
    ],
)
async def test_an_id_with_a_nul_byte_is_acknowledged_and_not_stored(
    teams: Teams, runtime: Runtime, changes: dict[str, Any]
) -> None:
    response = await teams.post({**activity("personal_message"), **changes})

    assert response.status == 200
    assert await state.count(runtime, InboundRecord) == 0


async def test_a_nul_byte_in_the_text_is_dropped_and_the_request_kept(
    teams: Teams, runtime: Runtime
) -> None:
    body = activity("personal_message", text=FEATURE.replace("CSV", "C\x00SV\x1b"))

    await teams.send(body)

    [item] = await state.items(runtime)
    assert item.request.text == FEATURE
    assert teams.connector.posts(), "the stakeholder is answered"


async def test_an_entra_object_id_with_a_nul_byte_is_ignored_and_the_message_kept(
    teams: Teams, runtime: Runtime
) -> None:
    sender = {**activity("personal_message")["from"], "aadObjectId": "\x00"}

    response = await teams.post({**activity("personal_message"), "from": sender})

    assert response.status == 200
    assert await state.count(runtime, InboundRecord) == 1


async def test_a_10_mb_activity_is_refused(teams: Teams, runtime: Runtime) -> None:
    body = {**activity("personal_message"), "text": "x" * 10_000_000}

    response = await teams.post(body)

    assert response.status == 413
    assert await state.count(runtime, InboundRecord) == 0
