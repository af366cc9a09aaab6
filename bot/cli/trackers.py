"""`heatshield tracker`: where a workspace's backlog lives, checked when it is set."""

from __future__ import annotations

import os
from typing import Any

import click

from bot.cli.common import with_database
from bot.kernel.errors import ConfigurationError
from bot.kernel.trackers import DEFAULT_URLS, KINDS, TrackerRefusedError, TrackerSettings

NEEDS = {
    "jira": ("url", "project"),
    "azure-devops": ("url", "project"),
    "github": ("repo",),
    "linear": ("team",),
}


@click.group()
def tracker() -> None:
    """The tracker where a workspace's backlog lives (approved requests are created there)."""


@tracker.command("set")
@click.option("--workspace", required=True, help="The workspace's external id.")
@click.option("--platform", default=None, help="Needed when the id is on two platforms.")
@click.option("--kind", required=True, type=click.Choice(KINDS))
@click.option("--url", default=None, help="The tracker's site or API base.")
@click.option("--project", default=None, help="Jira project key, Azure DevOps project.")
@click.option("--repo", default=None, help="GitHub repository, owner/name.")
@click.option("--team", default=None, help="Linear team key.")
@click.option("--issue-type", default=None, help="Jira issue type, Azure DevOps work item type.")
@click.option("--position-field", default=None, help="The field that carries the position.")
@click.option("--webhook-secret", default=None, help="The shared secret the webhooks carry.")
def tracker_set(
    workspace: str, platform: str | None, kind: str, url: str | None, **fields: str | None
) -> None:
    """Set the workspace's tracker; the connection is checked first, and nothing is stored
    when it fails."""
    from adapters.trackers.registry import build_tracker
    from handlers.people import find_workspace
    from handlers.tracker_settings import put_tracker

    settings = TrackerSettings(kind=kind, url=url or DEFAULT_URLS.get(kind, ""), **fields)
    missing = [name for name in NEEDS[kind] if not getattr(settings, name)]
    if missing:
        names = ", ".join(f"--{name}" for name in missing)
        raise click.UsageError(f"--kind {kind} needs {names}")

    async def apply(uow: Any, runtime: Any) -> str:
        ws = await find_workspace(uow, workspace, platform)
        try:
            client = build_tracker(settings, os.environ)
        except (TrackerRefusedError, ConfigurationError) as exc:
            raise click.ClickException(str(exc)) from exc
        try:
            checked = await client.check()
        except TrackerRefusedError as exc:
            raise click.ClickException(f"Not connected: {exc.problem}") from exc
        finally:
            await client.close()
        retried = await put_tracker(uow, ws, settings, checked, runtime.services.clock.now())
        again = f"; {retried} refused request(s) will be tried again" if retried else ""
        return f"Tracker set: {checked}{again}."

    click.echo(with_database(apply))


@tracker.command("show")
@click.option("--workspace", required=True, help="The workspace's external id.")
@click.option("--platform", default=None, help="Needed when the id is on two platforms.")
def tracker_show(workspace: str, platform: str | None) -> None:
    """The workspace's tracker setting (never a secret)."""
    from handlers.people import find_workspace
    from handlers.tracker_settings import shown_tracker

    async def show(uow: Any, _: Any) -> str:
        ws = await find_workspace(uow, workspace, platform)
        return await shown_tracker(uow, ws)

    click.echo(with_database(show))


COMMANDS = (tracker,)
