"""The PO's desired stakeholder shares, and each person's group and messaging rhythm."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.kernel.errors import InvalidInputError
from bot.kernel.settings import LANGUAGES
from handlers.coaching.timing import format_working_days, parse_quiet_hours, parse_working_days
from handlers.people import ensure_person
from storage.coaching_models import PersonPreferences
from storage.models import Person, Workspace
from storage.repositories import UnitOfWork

SHARE = re.compile(r"^\s*([^=:,]+?)\s*[=:]?\s*(\d{1,3})\s*%?\s*$")


def parse_shares(text: str) -> dict[str, int]:
    """ "Finance=30, Marketing 20%" as {"Finance": 30, "Marketing": 20}; at most 100 in all."""
    shares: dict[str, int] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        match = SHARE.match(part)
        if not match:
            raise InvalidInputError("shares", f"'{part.strip()}' is not like 'Finance=30'")
        shares[match.group(1).strip()[:64]] = int(match.group(2))
    if not shares:
        raise InvalidInputError("shares", "name at least one group, like 'Finance=30'")
    if sum(shares.values()) > 100:
        raise InvalidInputError("shares", f"they add up to {sum(shares.values())}%, over 100%")
    return shares


async def set_shares(uow: UnitOfWork, workspace: Workspace, shares: dict[str, int]) -> None:
    """Replace the desired shares with these."""
    await uow.coaching.replace_desired_shares(workspace_id=workspace.id, shares=shares)


@dataclass(frozen=True)
class PreferencesSpec:
    group: str | None = None
    working_days: str | None = None
    quiet_hours: str | None = None
    timezone: str | None = None
    language: str | None = None


async def set_preferences(
    uow: UnitOfWork, workspace: Workspace, user: str, spec: PreferencesSpec, now: datetime
) -> Person:
    person = await ensure_person(uow, workspace, user, now)
    preferences = await uow.coaching.preferences(person_id=person.id)
    if preferences is None:
        preferences = PersonPreferences(person_id=person.id)
        await uow.coaching.add(preferences)
    if spec.group is not None:
        preferences.group_name = spec.group.strip()[:64] or None
    if spec.working_days is not None:
        preferences.working_days = format_working_days(parse_working_days(spec.working_days))
    if spec.quiet_hours is not None:
        start, end = parse_quiet_hours(spec.quiet_hours)
        preferences.quiet_hours = f"{start:%H:%M}-{end:%H:%M}"
    if spec.timezone is not None:
        try:
            ZoneInfo(spec.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInputError("timezone", f"unknown time zone {spec.timezone!r}") from exc
        person.timezone = spec.timezone
    if spec.language is not None:
        if spec.language not in LANGUAGES:
            raise InvalidInputError("language", f"must be one of {', '.join(LANGUAGES)}")
        person.language = spec.language
    return person
