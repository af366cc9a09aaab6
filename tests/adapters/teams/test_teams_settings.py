"""MICROSOFT_APP_* is checked at start, and running without an app id is said out loud."""

from __future__ import annotations

import logging

import pytest

from adapters.teams.platform import TeamsPlatform
from adapters.teams.render import activity as render_activity
from adapters.teams.settings import load_teams_settings
from bot.kernel.errors import ConfigurationError
from bot.kernel.outbound import Button, Field, InputSpec, OutboundMessage, Section
from bot.runtime.app import Runtime


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"MICROSOFT_APP_ID": "x", "MICROSOFT_APP_TYPE": "Sometimes"}, "MICROSOFT_APP_TYPE"),
        (
            {
                "MICROSOFT_APP_ID": "x",
                "MICROSOFT_APP_PASSWORD": "p",
                "MICROSOFT_APP_TYPE": "SingleTenant",
            },
            "MICROSOFT_APP_TENANT_ID",
        ),
        (
            {"MICROSOFT_APP_ID": "x", "MICROSOFT_APP_TYPE": "UserAssignedMSI"},
            "MICROSOFT_APP_TENANT_ID",
        ),
        ({"MICROSOFT_APP_ID": "x"}, "MICROSOFT_APP_PASSWORD"),
        ({"MICROSOFT_APP_PASSWORD": "p"}, "MICROSOFT_APP_ID"),
    ],
)
def test_a_bad_combination_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError) as raised:
        load_teams_settings()

    assert raised.value.setting == variable
    assert variable in str(raised.value)


def test_good_settings_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", "app")
    monkeypatch.setenv("MICROSOFT_APP_TYPE", "userassignedmsi")
    monkeypatch.setenv("MICROSOFT_APP_TENANT_ID", "tenant")

    settings = load_teams_settings()

    assert settings.app_type == "UserAssignedMSI"
    assert settings.authenticated


async def test_without_an_app_id_the_start_says_teams_serves_local_testing_only(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """Teams left unconfigured is no fault: one calm line, not a warning in every quick start
    (a request from elsewhere is refused 401 and logged then)."""
    platform = TeamsPlatform(runtime.platform_deps, load_teams_settings())

    with caplog.at_level(logging.INFO, logger="adapters.teams.platform"):
        await platform.start()

    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert "not configured" in record.getMessage()
    assert "MICROSOFT_APP_ID" in record.getMessage()
    assert "local testing only" in record.getMessage()


async def test_with_an_app_id_the_start_does_not_warn(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_teams_settings(id="app", password="p")
    platform = TeamsPlatform(runtime.platform_deps, settings)

    with caplog.at_level(logging.INFO, logger="adapters.teams.platform"):
        await platform.start()

    assert [r.levelno for r in caplog.records] == [logging.INFO]


def test_a_plain_message_is_plain_text() -> None:
    assert render_activity(OutboundMessage(text="Hello")) == {
        "type": "message",
        "text": "Hello",
        "textFormat": "plain",
    }


def test_a_decided_section_shows_its_outcome_and_no_actions() -> None:
    section = Section(
        key="item:3",
        title="#3 Export",
        fields=(Field(label="Type", value="Feature"),),
        outcome="Approved by Petra",
    )

    [attachment] = render_activity(OutboundMessage(text="Card", sections=(section,)))["attachments"]

    container = attachment["content"]["body"][1]
    assert container["id"] == "item:3"
    assert {"type": "FactSet", "facts": [{"title": "Type", "value": "Feature"}]} in container[
        "items"
    ]
    assert container["items"][-1]["text"] == "Approved by Petra"
    assert "Action" not in str(container)


def test_a_button_with_a_date_opens_a_date_input_with_its_own_submit() -> None:
    button = Button(
        label="Defer until…",
        action_id="defer_until",
        value="3",
        input=InputSpec(kind="date", label="Until which date?"),
    )
    section = Section(key="item:3", buttons=(button,))

    [attachment] = render_activity(OutboundMessage(text="Card", sections=(section,)))["attachments"]

    [action] = attachment["content"]["body"][1]["items"][-1]["actions"]
    assert action["type"] == "Action.ShowCard"
    [field] = action["card"]["body"]
    assert field["type"] == "Input.Date"
    assert field["label"] == "Until which date?"
    [submit] = action["card"]["actions"]
    assert submit["type"] == "Action.Submit"
    assert submit["data"] == {"action_id": "defer_until", "value": "3", "input_id": field["id"]}
