"""`heatshield team set`: the PO, delegates and coach of a workspace, and its review times."""

from __future__ import annotations

from typing import Any

import click

from bot.cli.common import with_database


@click.group()
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


COMMANDS = (team,)
