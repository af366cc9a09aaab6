"""The Slack settings (SLACK_*), read and validated once at start-up.

One workspace: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET. Many workspaces: SLACK_CLIENT_ID,
SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET (installations kept in the database). SLACK_APP_TOKEN
runs Socket Mode instead of HTTP. Without any of these, Slack is not configured.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.kernel.errors import ConfigurationError
from bot.kernel.settings import read_settings

DEFAULT_API_URL = "https://slack.com/api/"
# What the bot needs, as the manifest asks for it (adapters/slack/manifest.json).
BOT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "chat:write",
    "commands",
    "files:write",
    "groups:history",
    "im:history",
    "im:read",
    "im:write",
    "mpim:history",
    "reactions:read",
    "users:read",
)


class SlackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLACK_", extra="ignore")

    bot_token: str | None = Field(default=None, repr=False)
    signing_secret: str | None = Field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = Field(default=None, repr=False)
    app_token: str | None = Field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    # Where Slack sends the browser back after an install; by default Slack's own setting.
    redirect_uri: str | None = None

    @property
    def configured(self) -> bool:
        return any((self.bot_token, self.client_id, self.client_secret, self.app_token))

    @property
    def mode(self) -> Literal["single", "oauth"]:
        return "oauth" if self.client_id else "single"

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @property
    def base_url(self) -> str:
        return self.api_url if self.api_url.endswith("/") else self.api_url + "/"


def load_slack_settings(**overrides: object) -> SlackSettings | None:
    """Read SLACK_*; None when Slack is not configured, a clear error when half-configured."""
    settings = read_settings(SlackSettings, "SLACK_", **overrides)
    if not settings.configured:
        return None
    check(settings)
    return settings


def check(settings: SlackSettings) -> None:
    if settings.client_id and not settings.client_secret:
        raise ConfigurationError("SLACK_CLIENT_SECRET", "is required with SLACK_CLIENT_ID")
    if settings.client_secret and not settings.client_id:
        raise ConfigurationError("SLACK_CLIENT_ID", "is required with SLACK_CLIENT_SECRET")
    if settings.bot_token and settings.client_id:
        raise ConfigurationError(
            "SLACK_BOT_TOKEN",
            "set either SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET (many workspaces), not both",
        )
    if not settings.bot_token and not settings.client_id:
        raise ConfigurationError(
            "SLACK_BOT_TOKEN",
            "is required (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for many workspaces)",
        )
    if settings.bot_token and not settings.bot_token.startswith("xoxb-"):
        raise ConfigurationError("SLACK_BOT_TOKEN", "must be a bot token starting with xoxb-")
    if settings.app_token and not settings.app_token.startswith("xapp-"):
        raise ConfigurationError(
            "SLACK_APP_TOKEN", "must be an app-level token starting with xapp-"
        )
    if not settings.signing_secret and not (settings.socket_mode and settings.mode == "single"):
        raise ConfigurationError(
            "SLACK_SIGNING_SECRET",
            "is required to verify Slack's requests (only Socket Mode with one workspace "
            "can do without)",
        )
    if not settings.api_url.startswith(("http://", "https://")):
        raise ConfigurationError("SLACK_API_URL", "must be an http:// or https:// URL")
