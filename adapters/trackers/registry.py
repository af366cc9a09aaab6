"""Which adapter speaks to which kind of tracker, with its credentials from the environment."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.trackers.github.client import TOKEN_SETTING as GITHUB_TOKEN
from adapters.trackers.github.client import GitHubTracker
from bot.kernel.errors import ConfigurationError
from bot.kernel.trackers import KINDS, Tracker, TrackerRefusedError, TrackerSettings

SUPPORTED = ("github",)


def build_tracker(settings: TrackerSettings, environ: Mapping[str, str]) -> Tracker:
    """The workspace's tracker; a missing credential or a kind not built yet is said plainly."""
    if settings.kind not in KINDS:
        raise TrackerRefusedError(f"unknown tracker kind {settings.kind!r}; use one of {KINDS}")
    if settings.kind not in SUPPORTED:
        raise TrackerRefusedError(
            f"{settings.kind} is not supported yet; supported: {', '.join(SUPPORTED)}"
        )
    token = environ.get(GITHUB_TOKEN, "")
    if not token:
        raise ConfigurationError(GITHUB_TOKEN, "is not set; GitHub needs a token to create issues")
    return GitHubTracker(settings, token)
