"""Delivery by e-mail over SMTP: HTML with the chart inline, and a plain-text alternative."""

from __future__ import annotations

import base64
import logging
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from adapters.email.render import message_html, message_text
from adapters.email.settings import EmailSettings
from bot.kernel.errors import RetryLaterError, UndeliverableError
from bot.kernel.events import ConversationRef
from bot.kernel.outbound import OutboundMessage

log = logging.getLogger(__name__)
PLATFORM = "email"
SUBJECT_LENGTH = 90


def compose(sender: str, to: str, message: OutboundMessage) -> EmailMessage:
    mail = EmailMessage()
    first_line = message.text.splitlines()[0] if message.text else "Heatshield"
    mail["Subject"] = first_line[:SUBJECT_LENGTH]
    mail["From"] = sender
    mail["To"] = to
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail.set_content(message_text(message))
    chart_id = make_msgid()
    source = f"cid:{chart_id[1:-1]}" if message.image else None
    mail.add_alternative(message_html(message, source), subtype="html")
    if message.image is not None:
        html_part = mail.get_body(preferencelist=("html",))
        assert isinstance(html_part, EmailMessage)
        html_part.add_related(
            base64.b64decode(message.image.png_base64), "image", "png", cid=chart_id
        )
    return mail


class EmailSender:
    def __init__(self, settings: EmailSettings) -> None:
        self._settings = settings

    async def send(self, conversation: ConversationRef, message: OutboundMessage) -> str:
        settings = self._settings
        mail = compose(settings.sender, conversation.channel, message)
        try:
            await aiosmtplib.send(
                mail,
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password,
                start_tls=settings.starttls and not settings.ssl,
                use_tls=settings.ssl,
                timeout=settings.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise UndeliverableError(f"recipient refused: {conversation.channel}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise UndeliverableError(f"SMTP {exc.code}: {exc.message}") from exc
            raise RetryLaterError(f"SMTP {exc.code}: {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise RetryLaterError(f"SMTP unavailable: {exc}") from exc
        return str(mail["Message-ID"])

    async def update(
        self, conversation: ConversationRef, delivered_ref: str, message: OutboundMessage
    ) -> None:
        """A sent e-mail cannot change; the update is dropped on purpose."""
        log.info("Not updating e-mail %s to %s", delivered_ref, conversation.channel)
