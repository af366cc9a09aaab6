"""Who plays which part in a workspace, and its rhythm: set from the CLI and for the demo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.kernel.errors import InvalidInputError
from bot.kernel.review_times import format_review_times, parse_review_times
from bot.kernel.settings import LANGUAGES
from handlers.context import Defaults
from handlers.people import ensure_person, ensure_workspace
from storage.models import Role, Workspace
from storage.repositories import UnitOfWork


@dataclass(frozen=True)
class TeamSpec:
    platform: str
    workspace: str
    po: str | None = None
    delegates: Sequence[str] | None = None
    coach: str | None = None
    timezone: str | None = None
    language: str | None = None
    review: str | None = None


def validate(spec: TeamSpec) -> None:
    if spec.timezone is not None:
        try:
            ZoneInfo(spec.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInputError("timezone", f"unknown time zone {spec.timezone!r}") from exc
    if spec.language is not None and spec.language not in LANGUAGES:
        raise InvalidInputError("language", f"must be one of {', '.join(LANGUAGES)}")
    if spec.review is not None:
        parse_review_times(spec.review)
    if not spec.platform.strip() or not spec.workspace.strip():
        raise InvalidInputError("workspace", "platform and workspace must not be empty")


async def set_team(uow: UnitOfWork, spec: TeamSpec, defaults: Defaults, now: datetime) -> Workspace:
    """Create or change the workspace; roles named replace the ones held before."""
    validate(spec)
    workspace = await ensure_workspace(
        uow, platform=spec.platform, external_id=spec.workspace, defaults=defaults, now=now
    )
    if spec.timezone:
        workspace.timezone = spec.timezone
    if spec.language:
        workspace.language = spec.language
    if spec.review:
        workspace.review_times = format_review_times(parse_review_times(spec.review))
    if spec.po is not None:
        await _assign(uow, workspace, Role.PO, [spec.po], now)
    if spec.delegates is not None:
        await _assign(uow, workspace, Role.DELEGATE, spec.delegates, now)
    if spec.coach is not None:
        await _assign(uow, workspace, Role.COACH, [spec.coach], now)
        await _follow_coach(uow, workspace, spec.coach)
    return workspace


async def _follow_coach(uow: UnitOfWork, workspace: Workspace, user: str) -> None:
    """The workspace's coaching contract moves to the new coach, so the old one reads no more."""
    contract = await uow.coaching.contract(workspace_id=workspace.id)
    coach = await uow.people.get(workspace_id=workspace.id, user_id=user)
    if contract is not None and coach is not None:
        contract.coach_id = coach.id
        contract.coach = coach


async def _assign(
    uow: UnitOfWork, workspace: Workspace, role: Role, users: Sequence[str], now: datetime
) -> None:
    for holder in await uow.people.with_roles(workspace_id=workspace.id, roles=[role]):
        if holder.platform_user_id not in users:
            holder.role = Role.MEMBER
    for user in users:
        person = await ensure_person(uow, workspace, user, now, role=role)
        person.role = role


DEMO_PEOPLE = (
    ("po", "Petra (PO)", Role.PO),
    ("coach", "Carla (coach)", Role.COACH),
    ("anna", "Anna", Role.STAKEHOLDER),
    ("ben", "Ben", Role.MEMBER),
)


async def seed_demo(uow: UnitOfWork, defaults: Defaults, now: datetime) -> bool:
    """The playground's demo workspace, created once; False when it exists already."""
    if await uow.workspaces.get(platform="playground", external_id="demo") is not None:
        return False
    workspace = await set_team(
        uow, TeamSpec(platform="playground", workspace="demo"), defaults, now
    )
    workspace.name = "Demo"
    for user, name, role in DEMO_PEOPLE:
        await ensure_person(uow, workspace, user, now, display_name=name, role=role)
    return True
