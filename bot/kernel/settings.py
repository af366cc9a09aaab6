"""Typed settings, read and validated once at start-up from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.kernel.errors import ConfigurationError, InvalidInputError
from bot.kernel.review_times import parse_review_times

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./heatshield.db"
LANGUAGES = ("en", "nl")


class Settings(BaseSettings):
    """Everything Heatshield reads from the environment (prefix HEATSHIELD_)."""

    model_config = SettingsConfigDict(env_prefix="HEATSHIELD_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = Field(default=3978, ge=1, le=65535)
    log_level: str = "INFO"
    default_language: str = "en"
    default_timezone: str = "Europe/Amsterdam"
    default_review_times: str = "tue,thu 09:00"
    playground: bool = True
    demo_workspace: bool = True
    outbox_poll_seconds: float = Field(default=2.0, gt=0)
    outbox_give_up_hours: float = Field(default=48.0, gt=0)
    scheduler_tick_seconds: float = Field(default=60.0, gt=0)
    # How many inbound events one replica handles at a time.
    workers: int = Field(default=4, ge=1, le=64)
    # How many claimed inbound events a worker handles in one transaction (one commit, the
    # workspace and people read once); 1 handles each in its own.
    handling_batch: int = Field(default=8, ge=1, le=64)
    # Connections (PostgreSQL) kept for storing inbound events before they are acked.
    store_connections: int = Field(default=2, ge=1, le=20)
    # What this process does: everything; only receive (verify, store, ack); or only the
    # background work (handling, delivery, the scheduler). Split, an ack never shares a CPU
    # with the triage.
    role: Literal["all", "receive", "work"] = "all"
    # On SIGTERM: how long to finish the events already claimed and deliver their answers
    # before giving the rest back for another replica (with the bounded steps around it, at
    # worst 20 s more: Kubernetes kills after 30 s by default).
    stop_grace_seconds: float = Field(default=15.0, ge=0, le=600)
    # The hosts a PO may point the workspace's tracker at in chat (the environment's tokens
    # are sent there): the trackers' clouds; a self-hosted one is set with the CLI or added.
    tracker_hosts: str = (
        "atlassian.net,dev.azure.com,visualstudio.com,api.github.com,api.linear.app"
    )
    # A triage model trained with `heatshield triage train --out FILE`; the shipped one if unset.
    triage_model: Path | None = None

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_review_times")
    @classmethod
    def _review_times(cls, value: str) -> str:
        try:
            parse_review_times(value)
        except InvalidInputError as exc:
            raise ValueError(f"{value!r}: {exc.problem}") from exc
        return value

    @field_validator("triage_model")
    @classmethod
    def _model_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no model file at {value}")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level


S = TypeVar("S", bound=BaseSettings)


def read_settings(cls: type[S], prefix: str, **overrides: object) -> S:
    """Read one section of settings; a bad value is one clear message naming its variable."""
    try:
        return cls(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = prefix + str(first["loc"][0]).upper() if first["loc"] else prefix.rstrip("_")
        raise ConfigurationError(name, first["msg"]) from exc


def load_settings(**overrides: object) -> Settings:
    return read_settings(Settings, "HEATSHIELD_", **overrides)
