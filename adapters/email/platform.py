"""E-mail as a platform of the application: only a sender, configured by HEATSHIELD_SMTP_*."""

from __future__ import annotations

from aiohttp import web

from adapters.base import PlatformDeps
from adapters.email.sender import PLATFORM, EmailSender
from adapters.email.settings import EmailSettings, load_email_settings
from bot.kernel.ports import Sender


class EmailPlatform:
    name = PLATFORM

    def __init__(self, settings: EmailSettings) -> None:
        self.sender: Sender = EmailSender(settings)

    def mount(self, app: web.Application) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


def email_platform(_: PlatformDeps) -> EmailPlatform | None:
    settings = load_email_settings()
    return EmailPlatform(settings) if settings is not None else None
