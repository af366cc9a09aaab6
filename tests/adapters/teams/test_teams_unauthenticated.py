"""Without an app id the endpoint is for local testing only; malformed activities are refused."""

from __future__ import annotations

import copy

import pytest

from bot.runtime.app import Runtime
from storage.models import InboundRecord
from tests import state
from tests.adapters.teams.conftest import Teams, activity


async def test_a_service_url_outside_this_machine_is_refused_without_an_app_id(
    teams: Teams, runtime: Runtime
) -> None:
    body = copy.deepcopy(activity("personal_message"))
    body["serviceUrl"] = "https://smba.example.org/internal-admin/"

    response = await teams.http.post("/api/messages", json=body)

    assert response.status == 401
    assert "MICROSOFT_APP_ID" in (await response.json())["error"]
    assert await state.count(runtime, InboundRecord) == 0
    assert teams.connector.calls == []


@pytest.mark.parametrize(
    "changes",
    [{"from": "x"}, {"conversation": "x"}, {"entities": 5}, {"timestamp": "yesterday"}],
)
async def test_a_malformed_activity_is_refused_not_a_crash(
    teams: Teams, runtime: Runtime, changes: dict[str, object]
) -> None:
    body = {**activity("personal_message"), **changes}

    response = await teams.post(body)

    assert response.status in (200, 400)
    assert await state.items(runtime) == []


def test_a_card_for_a_huge_request_stays_under_teams_size_limit() -> None:
    import json

    from adapters.teams.render import adaptive_card
    from bot.kernel.outbound import Field, OutboundMessage, Section

    huge = "x" * 20_000
    sections = tuple(
        Section(key=f"item:{n}", title=f"#{n}", text=huge, fields=(Field(label="Why", value=huge),))
        for n in range(15)
    )
    card = adaptive_card(OutboundMessage(text=huge, sections=sections))

    assert len(json.dumps(card).encode("utf-16-le")) < 80_000


def test_a_markdown_link_in_a_request_does_not_become_a_link_on_the_card() -> None:
    import json

    from adapters.teams.render import adaptive_card
    from bot.kernel.outbound import Field, OutboundMessage, Section

    sneaky = "Please fix [SSO login](https://evil.example)"
    card = adaptive_card(
        OutboundMessage(
            text=sneaky,
            sections=(Section(title=sneaky, fields=(Field(label="From", value=sneaky),)),),
        )
    )

    assert "](https://evil.example)" not in json.dumps(card, ensure_ascii=False)
    assert "SSO login" in json.dumps(card, ensure_ascii=False)
