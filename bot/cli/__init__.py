"""The `heatshield` command: serve, migrate, set a team, export the backlog, dry-run triage."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.cli.coaching import COMMANDS as COACHING_COMMANDS
from bot.cli.triage import COMMANDS as TRIAGE_COMMANDS
from bot.kernel.errors import HeatshieldError
from bot.kernel.settings import Settings, load_settings

T = TypeVar("T")
HTTP_SHUTDOWN_SECONDS = 5.0
log = logging.getLogger(__name__)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except HeatshieldError as exc:
        raise click.ClickException(f"Configuration error: {exc}") from exc


def run(coroutine_factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coroutine_factory()

    try:
        return asyncio.run(main())
    except HeatshieldError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def main() -> None:
    """Heatshield, the Product Owner's heat shield."""


for _command in (*COACHING_COMMANDS, *TRIAGE_COMMANDS):
    main.add_command(_command)


@main.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to listen on (default 3978).")
def serve(host: str | None, port: int | None) -> None:
    """Upgrade the database and serve the bot, the playground and the platform endpoints."""
    from aiohttp import web

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
    )


@main.group()
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


@main.group()
def team() -> None:
    """Who is the PO, the delegates and the coach of a workspace, and when the PO reviews."""


@team.command("set")
@click.option("--platform", required=True, help="playground, slack or teams.")
@click.option("--workspace", required=True, help="The workspace (Slack team id, Teams tenant id).")
@click.option("--po", default=None, help="The PO's user id.")
@click.option("--delegate", "delegates", multiple=True, help="A delegate's user id (repeatable).")
@click.option("--coach", default=None, help="The coach's user id.")
@click.option("--timezone", default=None, help="The workspace's time zone, e.g. Europe/Amsterdam.")
@click.option("--language", type=click.Choice(["nl", "en"]), default=None)
@click.option("--review", default=None, help='Review times, e.g. "tue,thu 09:00".')
def team_set(
    platform: str,
    workspace: str,
    po: str | None,
    delegates: tuple[str, ...],
    coach: str | None,
    timezone: str | None,
    language: str | None,
    review: str | None,
) -> None:
    """Create or change a workspace's team; roles named replace the earlier holders."""
    from handlers.team import TeamSpec, set_team

    spec = TeamSpec(
        platform=platform,
        workspace=workspace,
        po=po,
        delegates=list(delegates) if delegates else None,
        coach=coach,
        timezone=timezone,
        language=language,
        review=review,
    )

    async def apply(uow: Any, runtime: Any) -> str:
        ws = await set_team(uow, spec, runtime.services.defaults, runtime.services.clock.now())
        people = await uow.people.in_workspace(workspace_id=ws.id)
        roles = ", ".join(
            f"{p.platform_user_id}={p.role}" for p in people if p.role != "stakeholder"
        )
        return (
            f"Workspace {ws.platform}/{ws.external_id}: time zone {ws.timezone}, "
            f"language {ws.language}, review {ws.review_times}; {roles or 'no roles yet'}"
        )

    click.echo(with_database(apply))


def with_runtime(action: Callable[[Any], Awaitable[T]]) -> T:
    """Run an action that opens its own transactions, against the configured database."""
    from bot.runtime.app import build_runtime, prepare

    settings = settings_or_exit()

    async def go() -> T:
        runtime = build_runtime(settings)
        try:
            await prepare(runtime)
            return await action(runtime)
        finally:
            await runtime.services.triage.close()
            await runtime.store_engine.dispose()
            await runtime.engine.dispose()

    return run(go)


def with_database(action: Callable[[Any, Any], Awaitable[T]]) -> T:
    """Run one transaction against the configured (and upgraded) database."""
    from bot.runtime.app import build_runtime, prepare

    settings = settings_or_exit()

    async def go() -> T:
        runtime = build_runtime(settings)
        try:
            await prepare(runtime)
            async with runtime.db.transaction() as uow:
                return await action(uow, runtime)
        finally:
            await runtime.services.triage.close()
            await runtime.store_engine.dispose()
            await runtime.engine.dispose()

    return run(go)


@main.group()
def backlog() -> None:
    """The backlog."""


EXPORT_COLUMNS = (
    "item_id",
    "workspace",
    "title",
    "type",
    "urgent",
    "status",
    "rank",
    "stakeholder",
    "source",
    "forwarded_by",
    "received_at",
    "duplicate_of",
    "deferred_until",
    "decision",
    "decided_by",
    "decided_at",
    "reason",
    "text",
)


@backlog.command("export")
@click.option("--workspace", default=None, help="Only this workspace's external id.")
@click.option("--platform", default=None, help="Needed when the id is on two platforms.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
def backlog_export(workspace: str | None, platform: str | None, fmt: str) -> None:
    """Every request and item with status, type, stakeholder, source, decision and reason."""

    async def collect(uow: Any, _: Any) -> list[dict[str, Any]]:
        from handlers.export import export_rows

        return await export_rows(uow, workspace=workspace, platform=platform)

    rows = with_database(collect)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    writer.writerows({key: spreadsheet_safe(value) for key, value in row.items()} for row in rows)
    click.echo(buffer.getvalue(), nl=False)


def spreadsheet_safe(value: object) -> object:
    """A stakeholder's text starting like a formula is not run by the spreadsheet opening it."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@main.group()
def teams() -> None:
    """Microsoft Teams: the app package to upload."""


@teams.command("package")
@click.option("--app-id", required=True, help="The Azure Bot's Microsoft App ID (a GUID).")
@click.option("--host", required=True, help="Where Heatshield is reachable over HTTPS.")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The zip file to write, e.g. heatshield-teams.zip.",
)
def teams_package(app_id: str, host: str, out: Path) -> None:
    """Write the Teams app package: manifest.json and the two icons, zipped."""
    from adapters.teams.package import write_package

    try:
        write_package(app_id, host, out)
    except HeatshieldError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote {out}: upload it in Teams (Apps > Manage your apps > Upload an app).")
