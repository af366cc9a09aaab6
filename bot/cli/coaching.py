"""The coaching commands of `heatshield`: the contract, sessions, people, digest and schedule."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from bot.cli.common import with_database
from bot.kernel.errors import InvalidInputError
from handlers.people import find_workspace
from handlers.texts import zone_label

WORKSPACE = click.option("--workspace", required=True, help="The workspace's external id.")
PLATFORM = click.option("--platform", default=None, help="Needed when the id is on two platforms.")


@click.group()
def coaching() -> None:
    """The PO's coaching contract and sessions."""


@coaching.command("set")
@WORKSPACE
@PLATFORM
@click.option("--coach", default=None, help="The coach's user id in the workspace.")
@click.option("--email", default=None, help="The coach's e-mail, when outside the workspace.")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="YYYY-MM-DD.")
@click.option("--every", default=None, help='Session cadence, e.g. "2 weeks".')
@click.option("--sessions", type=int, default=None, help="Number of sessions (default 4).")
@click.option("--confidentiality", type=click.Choice(["aggregate", "names", "full"]))
@click.option(
    "--theme",
    "themes",
    multiple=True,
    help="prioritising, value, stories, role, stakeholders, or your own (repeatable).",
)
@click.option("--goals", default=None, help="The trajectory's goals, in a sentence or two.")
@click.option("--reflection", default=None, help='When the PO reflects, e.g. "fri 16:00".')
def coaching_set(
    workspace: str,
    platform: str | None,
    coach: str | None,
    email: str | None,
    start: datetime | None,
    every: str | None,
    sessions: int | None,
    confidentiality: str | None,
    themes: tuple[str, ...],
    goals: str | None,
    reflection: str | None,
) -> None:
    """Create or change the PO's coaching contract (a cadence plans the sessions)."""
    from handlers.coaching.contract import ContractSpec, parse_every, set_contract, view

    async def apply(uow: Any, runtime: Any) -> dict[str, Any]:
        spec = ContractSpec(
            coach=coach,
            email=email,
            start=start.date() if start else None,
            every_days=parse_every(every) if every else None,
            sessions=sessions,
            confidentiality=confidentiality,
            themes=list(themes) if themes else None,
            goals=goals,
            reflection=reflection,
        )
        ws = await find_workspace(uow, workspace, platform)
        contract = await set_contract(uow, runtime.services, ws, spec)
        return (await view(uow, contract)).__dict__

    click.echo(json.dumps(with_database(apply), indent=2))


@coaching.group("session")
def session_group() -> None:
    """Coaching sessions."""


@session_group.command("add")
@WORKSPACE
@PLATFORM
@click.option("--at", "at", required=True, help="ISO date-time with offset: 2026-12-01T10:00+01:00")
@click.option("--scope", default=None, help="The agreed scope of the session.")
def session_add(workspace: str, platform: str | None, at: str, scope: str | None) -> None:
    """Plan a coaching session."""
    from handlers.coaching.contract import add_session

    try:
        starts_at = datetime.fromisoformat(at)
    except ValueError as exc:
        raise click.BadParameter(f"'{at}' is not an ISO date-time", param_hint="--at") from exc

    async def apply(uow: Any, runtime: Any) -> str:
        ws = await find_workspace(uow, workspace, platform)
        added = await add_session(uow, runtime.services, ws, starts_at, scope)
        zone = added.timezone
        for warning in session_warnings(added, zone):
            click.echo(f"Warning: {warning}", err=True)
        return (
            f"Session {added.session.id} planned at {local_moment(added.session.starts_at, zone)}"
        )

    click.echo(with_database(apply))


def local_moment(moment: datetime, zone: str) -> str:
    """ "Tue 2026-12-08 10:00 CET (Europe/Amsterdam)": the PO's local time, named."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %Y-%m-%d %H:%M} {zone_label(local)} ({zone})"


def session_warnings(added: Any, zone: str) -> list[str]:
    warnings = []
    if added.in_the_past:
        warnings.append("that moment has passed; the session is kept, but nobody will be reminded")
    for other in added.overlaps:
        warnings.append(
            f"it doubles session {other.id} at {local_moment(other.starts_at, zone)}; both are kept"
        )
    return warnings


@coaching.command("shares")
@WORKSPACE
@PLATFORM
@click.option("--share", "shares", multiple=True, required=True, help="GROUP=PERCENT (repeatable)")
def coaching_shares(workspace: str, platform: str | None, shares: tuple[str, ...]) -> None:
    """The share of requests the PO wants each stakeholder group to have."""
    from handlers.coaching.preferences import parse_shares, set_shares

    try:
        wanted = parse_shares(", ".join(shares))
    except InvalidInputError as exc:
        raise click.BadParameter(exc.problem, param_hint="--share") from exc

    async def apply(uow: Any, runtime: Any) -> str:
        ws = await find_workspace(uow, workspace, platform)
        await set_shares(uow, ws, wanted)
        return ", ".join(f"{group} {percent}%" for group, percent in wanted.items())

    click.echo(with_database(apply))


@click.group()
def people() -> None:
    """A person's stakeholder group and when they may be messaged."""


@people.command("set")
@WORKSPACE
@PLATFORM
@click.option("--user", required=True, help="The person's user id.")
@click.option("--group", default=None, help="Their stakeholder group, e.g. Finance.")
@click.option("--working-days", default=None, help='e.g. "mon-fri" or "mon,tue,thu".')
@click.option("--quiet-hours", default=None, help='e.g. "18:00-08:00".')
@click.option("--timezone", default=None, help="e.g. Europe/Amsterdam.")
@click.option("--language", type=click.Choice(["nl", "en"]), default=None)
def people_set(
    workspace: str,
    platform: str | None,
    user: str,
    group: str | None,
    working_days: str | None,
    quiet_hours: str | None,
    timezone: str | None,
    language: str | None,
) -> None:
    """Set a person's group, working days, quiet hours, time zone or language."""
    from handlers.coaching.preferences import PreferencesSpec, set_preferences

    spec = PreferencesSpec(group, working_days, quiet_hours, timezone, language)

    async def apply(uow: Any, runtime: Any) -> str:
        ws = await find_workspace(uow, workspace, platform)
        person = await set_preferences(uow, ws, user, spec, runtime.services.clock.now())
        return f"{person.platform_user_id}: updated"

    click.echo(with_database(apply))


@click.command("digest")
@WORKSPACE
@PLATFORM
@click.option("--week", required=True, help="ISO week, e.g. 2026-W47.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
def digest_command(workspace: str, platform: str | None, week: str, out: Path) -> None:
    """Write the coach's digest of a week as digest.json, digest.html and chart.png."""
    from adapters.email.render import message_html
    from bot.kernel.i18n import Translator
    from handlers.coaching.contract import contract_of
    from handlers.coaching.digest import build_digest, parse_week
    from handlers.coaching.report import digest_chart, digest_message
    from handlers.context import language_of

    try:
        parse_week(week)
    except InvalidInputError as exc:
        raise click.BadParameter(exc.problem, param_hint="--week") from exc

    async def build(uow: Any, _: Any) -> tuple[dict[str, Any], str, bytes]:
        ws = await find_workspace(uow, workspace, platform)
        contract = await contract_of(uow, ws)
        digest = await build_digest(uow, ws, contract, week)
        # The preview reads as the coach will read it.
        tr = Translator(language_of(contract.coach, ws) if contract.coach else ws.language)
        chart = digest_chart(tr, digest)
        page = message_html(digest_message(tr, digest, chart), "chart.png")
        return digest.to_json(), page, chart

    figures, page, chart = with_database(build)
    out.mkdir(parents=True, exist_ok=True)
    (out / "digest.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    (out / "digest.html").write_text(page, encoding="utf-8")
    (out / "chart.png").write_bytes(chart)
    click.echo(f"Wrote {out / 'digest.json'}, {out / 'digest.html'} and {out / 'chart.png'}")


@click.group()
def schedule() -> None:
    """What the scheduler will send."""


@schedule.command("list")
@WORKSPACE
@PLATFORM
@click.option("--days", type=int, default=14, help="How far ahead to look (default 14).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per planned send.")
def schedule_list(workspace: str, platform: str | None, days: int, as_json: bool) -> None:
    """Planned sends, in each recipient's own local time."""
    from handlers.coaching.schedule_view import planned_rows

    async def collect(uow: Any, runtime: Any) -> list[dict[str, Any]]:
        ws = await find_workspace(uow, workspace, platform)
        return await planned_rows(uow, ws, runtime.services.clock.now(), days)

    rows = with_database(collect)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        click.echo("Nothing planned.")
    for row in rows:
        click.echo(f"{row['local_time']:<26} {row['timezone']:<18} {row['kind']:<19} "
                   f"{row['recipient']}")  # fmt: skip


COMMANDS = (coaching, people, digest_command, schedule)
