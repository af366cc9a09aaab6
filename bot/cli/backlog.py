"""`heatshield backlog export`: every request and item, as JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import click

from bot.cli.common import with_database


@click.group()
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
    "timezone",
    "reason",
    "tracker_key",
    "tracker_url",
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


COMMANDS = (backlog,)
