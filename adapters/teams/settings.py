"""The Bot Framework settings (MICROSOFT_APP_*), read and validated once at start-up."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.kernel.errors import ConfigurationError
from bot.kernel.settings import read_settings

APP_TYPES = ("SingleTenant", "MultiTenant", "UserAssignedMSI")
AppType = Literal["SingleTenant", "MultiTenant", "UserAssignedMSI"]


class TeamsSettings(BaseSettings):
    """The Azure Bot's identity; without an app id the endpoint runs unauthenticated."""

    model_config = SettingsConfigDict(env_prefix="MICROSOFT_APP_", extra="ignore")

    id: str | None = None
    password: str | None = None
    tenant_id: str | None = None
    type: str = "MultiTenant"

    @property
    def app_type(self) -> AppType:
        for known in APP_TYPES:
            if known.lower() == self.type.lower():
                return known  # type: ignore[return-value]
        raise ConfigurationError("MICROSOFT_APP_TYPE", "unknown type")  # checked in load

    @property
    def authenticated(self) -> bool:
        return bool(self.id)


def load_teams_settings(**overrides: object) -> TeamsSettings:
    """Read MICROSOFT_APP_*; a bad combination stops the start with the variable's name."""
    settings = read_settings(TeamsSettings, "MICROSOFT_APP_", **overrides)
    check(settings)
    return settings


def check(settings: TeamsSettings) -> None:
    if settings.type.lower() not in {known.lower() for known in APP_TYPES}:
        raise ConfigurationError(
            "MICROSOFT_APP_TYPE",
            f"unknown type {settings.type!r}; use one of {', '.join(APP_TYPES)}",
        )
    if not settings.id:
        if settings.password or settings.tenant_id:
            raise ConfigurationError(
                "MICROSOFT_APP_ID", "is required when a password or tenant id is set"
            )
        return
    app_type = settings.app_type
    if app_type in ("SingleTenant", "UserAssignedMSI") and not settings.tenant_id:
        raise ConfigurationError(
            "MICROSOFT_APP_TENANT_ID", f"is required for MICROSOFT_APP_TYPE={app_type}"
        )
    if app_type in ("SingleTenant", "MultiTenant") and not settings.password:
        raise ConfigurationError(
            "MICROSOFT_APP_PASSWORD", f"is required for MICROSOFT_APP_TYPE={app_type}"
        )
