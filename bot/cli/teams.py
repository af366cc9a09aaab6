"""`heatshield teams package`: the Microsoft Teams app package to upload."""

from __future__ import annotations

from pathlib import Path

import click

from bot.kernel.errors import HeatshieldError


@click.group()
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


COMMANDS = (teams,)
