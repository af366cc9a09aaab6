"""SLACK_* settings: Slack mounts only when configured; a half configuration names the variable.
The manifest asks for exactly what the code uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.slack import translate
from adapters.slack.app import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH
from adapters.slack.platform import slack_platform
from adapters.slack.settings import BOT_SCOPES, load_slack_settings
from bot.kernel.errors import ConfigurationError
from bot.runtime.app import Runtime

MANIFEST = Path(__file__).parents[3] / "adapters" / "slack" / "manifest.json"


def test_without_slack_variables_slack_is_not_configured() -> None:
    assert load_slack_settings() is None


async def test_the_factory_builds_nothing_without_settings(runtime: Runtime) -> None:
    assert slack_platform(runtime.platform_deps) is None


async def test_the_factory_reads_the_environment(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-3")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")

    platform = slack_platform(runtime.platform_deps)

    assert platform is not None
    assert platform.settings.mode == "single"
    assert platform.settings.base_url == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize(
    ("environment", "variable"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "s", "SLACK_CLIENT_ID": "1.2"}, "SLACK_CLIENT_SECRET"),
        ({"SLACK_CLIENT_SECRET": "s"}, "SLACK_CLIENT_ID"),
        ({"SLACK_BOT_TOKEN": "xoxp-user", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_CLIENT_ID": "1", "SLACK_CLIENT_SECRET": "2"},
            "SLACK_BOT_TOKEN",
        ),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "ftp://x"},
            "SLACK_API_URL",
        ),
    ],
)
def test_a_half_configuration_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], variable: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError) as raised:
        load_slack_settings()

    assert raised.value.setting == variable


def test_socket_mode_with_one_workspace_needs_no_signing_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")

    settings = load_slack_settings()

    assert settings is not None and settings.socket_mode


def test_the_manifest_matches_the_code() -> None:
    manifest = json.loads(MANIFEST.read_text())
    settings = manifest["settings"]

    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    assert set(settings["event_subscriptions"]["bot_events"]) >= {
        "message.im",
        "app_mention",
        "reaction_added",
        "app_home_opened",
    }
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == translate.REQUEST_COMMAND
    [shortcut] = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", translate.FORWARD_SHORTCUT)
    assert command["url"].endswith(EVENTS_PATH)
    assert settings["event_subscriptions"]["request_url"].endswith(EVENTS_PATH)
    assert settings["interactivity"]["request_url"].endswith(EVENTS_PATH)
    assert manifest["oauth_config"]["redirect_urls"][0].endswith(REDIRECT_PATH)
    assert INSTALL_PATH == "/slack/install"
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
