"""The e-mail settings (HEATSHIELD_SMTP_*), for a coach outside the workspace: e-mail is off
while no SMTP host is set."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.kernel.settings import read_settings

PREFIX = "HEATSHIELD_SMTP_"


class EmailSettings(BaseSettings):
    # populate_by_name: `sender=` works as an override; the environment is read only by alias.
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", populate_by_name=True)

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    username: str | None = None
    password: str | None = Field(default=None, repr=False)
    # The From address (HEATSHIELD_SMTP_FROM; "from" is a keyword in Python).
    sender: str = Field(default="heatshield@localhost", validation_alias=PREFIX + "FROM")
    starttls: bool = True
    ssl: bool = False
    timeout_seconds: float = Field(default=30.0, gt=0)


def load_email_settings(**overrides: object) -> EmailSettings | None:
    """The settings, or None while HEATSHIELD_SMTP_HOST is not set."""
    settings = read_settings(EmailSettings, PREFIX, **overrides)
    return settings if settings.host else None
