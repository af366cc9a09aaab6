"""Every platform this server can speak, in the order they mount; each mounts only when it is
configured. A new platform is a folder in adapters/ with a factory, added here."""

from __future__ import annotations

from adapters.base import PlatformFactory
from adapters.email.platform import email_platform
from adapters.playground.platform import playground_platform
from adapters.slack.platform import slack_platform
from adapters.teams.platform import teams_platform

PLATFORMS: tuple[PlatformFactory, ...] = (
    playground_platform,
    email_platform,
    teams_platform,
    slack_platform,
)
