"""Which adapter speaks to which kind of tracker, with its credentials from the environment."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from adapters.trackers.azure_devops.client import PAT_SETTING as AZURE_PAT
from adapters.trackers.azure_devops.client import AzureDevOpsTracker
from adapters.trackers.github.client import TOKEN_SETTING as GITHUB_TOKEN
from adapters.trackers.github.client import GitHubTracker
from adapters.trackers.jira.client import EMAIL_SETTING as JIRA_EMAIL
from adapters.trackers.jira.client import TOKEN_SETTING as JIRA_TOKEN
from adapters.trackers.jira.client import JiraTracker
from adapters.trackers.linear.client import KEY_SETTING as LINEAR_KEY
from adapters.trackers.linear.client import LinearTracker
from bot.kernel.errors import ConfigurationError
from bot.kernel.trackers import KINDS, Tracker, TrackerRefusedError, TrackerSettings

Builder = Callable[[TrackerSettings, Mapping[str, str]], Tracker]


def _needed(environ: Mapping[str, str], name: str, tracker: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise ConfigurationError(name, f"is not set; {tracker} needs it")
    return value


def _github(settings: TrackerSettings, environ: Mapping[str, str]) -> Tracker:
    return GitHubTracker(settings, _needed(environ, GITHUB_TOKEN, "GitHub"))


def _jira(settings: TrackerSettings, environ: Mapping[str, str]) -> Tracker:
    return JiraTracker(
        settings, _needed(environ, JIRA_EMAIL, "Jira"), _needed(environ, JIRA_TOKEN, "Jira")
    )


def _linear(settings: TrackerSettings, environ: Mapping[str, str]) -> Tracker:
    return LinearTracker(settings, _needed(environ, LINEAR_KEY, "Linear"))


def _azure_devops(settings: TrackerSettings, environ: Mapping[str, str]) -> Tracker:
    return AzureDevOpsTracker(settings, _needed(environ, AZURE_PAT, "Azure DevOps"))


BUILDERS: dict[str, Builder] = {
    "jira": _jira,
    "azure-devops": _azure_devops,
    "github": _github,
    "linear": _linear,
}
SUPPORTED = tuple(BUILDERS)


def build_tracker(settings: TrackerSettings, environ: Mapping[str, str]) -> Tracker:
    """The workspace's tracker; a missing credential or a kind not built yet is said plainly."""
    if settings.kind not in KINDS:
        raise TrackerRefusedError(f"unknown tracker kind {settings.kind!r}; use one of {KINDS}")
    builder = BUILDERS.get(settings.kind)
    if builder is None:
        raise TrackerRefusedError(
            f"{settings.kind} is not supported yet; supported: {', '.join(SUPPORTED)}"
        )
    return builder(settings, environ)
