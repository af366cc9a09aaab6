"""The embeddings endpoint's settings (HEATSHIELD_EMBEDDINGS_*); off while no URL is set."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.kernel.errors import ConfigurationError
from bot.kernel.settings import read_settings

PREFIX = "HEATSHIELD_EMBEDDINGS_"


class EmbeddingsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore")

    # The endpoint: its base (".../v1" or the server's root) or the full ".../embeddings" URL.
    url: str | None = None
    model: str | None = None
    api_key: str | None = Field(default=None, repr=False)
    # Azure OpenAI takes its key in an "api-key" header; everyone else as a bearer token.
    api_key_header: str = "Authorization"
    dimensions: int | None = Field(default=None, gt=0, le=16384)
    timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    batch_size: int = Field(default=32, ge=1, le=2048)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL")
        return value.strip()

    @property
    def configured(self) -> bool:
        return self.url is not None

    @property
    def endpoint(self) -> str:
        """The URL to POST to."""
        assert self.url is not None
        base = self.url.rstrip("/")
        if urlsplit(base).path.endswith("/embeddings"):
            return self.url
        return f"{base}/embeddings" if base.endswith("/v1") else f"{base}/v1/embeddings"

    @property
    def model_id(self) -> str:
        """How stored embeddings are tagged: the endpoint's model, and its size if chosen."""
        suffix = f"@{self.dimensions}" if self.dimensions else ""
        return f"endpoint:{self.model}{suffix}"


def load_embeddings_settings(**overrides: object) -> EmbeddingsSettings:
    settings = read_settings(EmbeddingsSettings, PREFIX, **overrides)
    if settings.configured and not settings.model:
        raise ConfigurationError(
            PREFIX + "MODEL", "is required with HEATSHIELD_EMBEDDINGS_URL (the model to ask for)"
        )
    return settings
