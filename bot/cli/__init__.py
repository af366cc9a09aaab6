"""The `heatshield` command; each group of commands is a module of this package."""

from __future__ import annotations

import click

from bot.cli import backlog, coaching, server, team, teams, trackers, triage
from bot.cli.backlog import spreadsheet_safe

__all__ = ["main", "spreadsheet_safe"]


@click.group()
def main() -> None:
    """Heatshield, the Product Owner's heat shield."""


for _module in (server, team, backlog, coaching, triage, teams, trackers):
    for _command in _module.COMMANDS:
        main.add_command(_command)
