"""`heatshield serve` and `heatshield db upgrade`."""

from __future__ import annotations

import logging

import click

from bot.cli.common import configure_logging, run, settings_or_exit
from bot.kernel.errors import HeatshieldError

HTTP_SHUTDOWN_SECONDS = 5.0
log = logging.getLogger(__name__)


@click.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to listen on (default 3978).")
def serve(host: str | None, port: int | None) -> None:
    """Upgrade the database and serve the bot, the playground and the platform endpoints."""
    from aiohttp import web

    from bot.runtime.access_log import QuietPollsAccessLogger
    from bot.runtime.app import build_runtime, create_app, prepare

    settings = settings_or_exit()
    configure_logging(settings.log_level)

    try:
        # The platform adapters read their settings here: a bad one is one clear line.
        runtime = build_runtime(settings)
    except HeatshieldError as exc:
        raise click.ClickException(f"Configuration error: {exc}") from exc

    async def start() -> web.Application:
        # A process that only receives never triages: it need not load the encoder.
        await prepare(runtime, warm=settings.role != "receive")
        return create_app(runtime)

    listen_host = host or settings.host
    listen_port = port or settings.port

    def ready(_: str) -> None:
        log.info(
            "Heatshield is listening on http://%s:%s (playground at /playground)",
            listen_host,
            listen_port,
        )

    # On SIGTERM, requests under way get this long (acks take milliseconds) before the
    # background work is finished within HEATSHIELD_STOP_GRACE_SECONDS.
    web.run_app(
        start(),
        host=listen_host,
        port=listen_port,
        print=ready,
        shutdown_timeout=HTTP_SHUTDOWN_SECONDS,
        access_log_class=QuietPollsAccessLogger,
    )


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the newest version."""
    from storage import migrate
    from storage.db import create_engine

    settings = settings_or_exit()
    configure_logging(settings.log_level)

    async def upgrade() -> None:
        engine = create_engine(settings.database_url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    run(upgrade)
    click.echo("Database is up to date.")


COMMANDS = (serve, db)
