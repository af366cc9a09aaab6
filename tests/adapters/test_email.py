"""The coach outside the workspace gets the digest by e-mail from a real (local) SMTP server."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller

from bot.kernel.clock import FakeClock
from bot.kernel.settings import load_settings
from bot.runtime.app import build_runtime, prepare
from tests.handlers.coaching_support import contract, run_tick


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        raw = envelope.content  # type: ignore[attr-defined]
        self.messages.append(
            email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[arg-type]
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def smtp_settings(monkeypatch: pytest.MonkeyPatch, port: int, sender: str | None = None) -> None:
    """E-mail through the local SMTP server, configured as an operator would: the environment."""
    monkeypatch.setenv("HEATSHIELD_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HEATSHIELD_SMTP_PORT", str(port))
    monkeypatch.setenv("HEATSHIELD_SMTP_STARTTLS", "false")
    if sender:
        monkeypatch.setenv("HEATSHIELD_SMTP_FROM", sender)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


async def test_the_digest_reaches_an_outside_coach_by_email_with_the_chart_inline(
    database_url: str, clock: FakeClock, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    smtp_settings(monkeypatch, port, sender="heatshield@example.org")
    settings = load_settings(database_url=database_url)
    runtime = build_runtime(settings, clock=clock)
    await prepare(runtime, upgrade=False)
    await contract(runtime, coach=None, email="coach@example.org")

    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # Monday 09:00: last week's digest
    await run_tick(runtime)

    [mail] = [m for m in inbox.messages if "digest" in str(m["Subject"]).lower()]
    assert mail["To"] == "coach@example.org"
    assert mail["From"] == "heatshield@example.org"
    html_part = mail.get_body(preferencelist=("html",))
    assert html_part is not None
    html = html_part.get_content()
    assert "What the shield did" in html and "A quiet week: no requests came in." in html
    cid = html.split('src="cid:')[1].split('"')[0]
    [chart] = [part for part in mail.walk() if part.get_content_type() == "image/png"]
    assert chart["Content-ID"] == f"<{cid}>"
    assert chart.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    plain = mail.get_body(preferencelist=("plain",))
    assert plain is not None and "A quiet week: no requests came in." in plain.get_content()
    await runtime.engine.dispose()


async def test_an_unreachable_smtp_server_keeps_the_mail_for_later(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from storage.models import OutboxMessage

    smtp_settings(monkeypatch, _free_port())
    settings = load_settings(database_url=database_url)
    runtime = build_runtime(settings, clock=clock)
    await prepare(runtime, upgrade=False)
    await contract(runtime, coach=None, email="coach@example.org")
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))

    await run_tick(runtime)

    async with runtime.db.transaction() as uow:
        rows = (
            await uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.platform == "email")
            )
        ).all()
    assert rows and all(row.status == "pending" and row.attempts == 1 for row in rows)
    assert "SMTP unavailable" in (rows[0].last_error or "")
    await runtime.engine.dispose()


def test_email_settings_come_only_from_their_own_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adapters.email.settings import load_email_settings
    from bot.kernel.errors import ConfigurationError

    assert load_email_settings() is None  # no host: no e-mail
    monkeypatch.setenv("HEATSHIELD_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("SENDER", "someone-else@example.com")  # not ours: ignored
    settings = load_email_settings()
    assert settings is not None
    assert (settings.host, settings.sender) == ("smtp.example.org", "heatshield@localhost")
    monkeypatch.setenv("HEATSHIELD_SMTP_FROM", "heatshield@example.org")
    reloaded = load_email_settings()
    assert reloaded is not None and reloaded.sender == "heatshield@example.org"
    monkeypatch.setenv("HEATSHIELD_SMTP_PORT", "0")
    with pytest.raises(ConfigurationError, match="HEATSHIELD_SMTP_PORT"):
        load_email_settings()
