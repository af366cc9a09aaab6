"""E-mail as a platform of the application: only a sender, configured by HEATSHIELD_SMTP_*."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from adapters.email.sender import PLATFORM, EmailSender
from bot.delivery import Sender

if TYPE_CHECKING:
    from bot.app import Runtime


class EmailPlatform:
    name = PLATFORM

    def __init__(self, runtime: Runtime) -> None:
        self.sender: Sender = EmailSender(runtime.settings)

    def mount(self, app: web.Application) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


def email_platform(runtime: Runtime) -> EmailPlatform | None:
    return EmailPlatform(runtime) if runtime.settings.smtp_host else None
