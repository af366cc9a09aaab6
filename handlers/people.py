"""Finding and remembering the people and workspaces that events come from."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.kernel.errors import InvalidInputError, NotFoundError
from bot.kernel.events import ConversationRef, PersonInfo
from bot.kernel.i18n import normalise_language
from bot.kernel.review_times import latest_review, parse_review_times
from handlers.context import Defaults
from storage.models import Person, Role, Workspace
from storage.repositories import UnitOfWork

log = logging.getLogger(__name__)


async def find_workspace(uow: UnitOfWork, external_id: str, platform: str | None) -> Workspace:
    """A workspace by its external id; the platform is needed when the id is on two."""
    matches = [
        ws for ws in await uow.workspaces.all(platform=platform) if ws.external_id == external_id
    ]
    if not matches:
        raise NotFoundError("workspace", external_id)
    if len(matches) > 1:
        platforms = ", ".join(ws.platform for ws in matches)
        raise InvalidInputError("workspace", f"on several platforms ({platforms}): add --platform")
    return matches[0]


async def workspace_for(
    uow: UnitOfWork, conversation: ConversationRef, defaults: Defaults, now: datetime
) -> Workspace:
    """The workspace an event belongs to; one seen for the first time is set up with defaults."""
    return await ensure_workspace(
        uow,
        platform=conversation.platform,
        external_id=conversation.workspace,
        defaults=defaults,
        now=now,
    )


async def ensure_workspace(
    uow: UnitOfWork, *, platform: str, external_id: str, defaults: Defaults, now: datetime
) -> Workspace:
    workspace = await uow.workspaces.get(platform=platform, external_id=external_id)
    if workspace is not None:
        return workspace
    return await uow.workspaces.add(
        Workspace(
            platform=platform,
            external_id=external_id,
            name=external_id,
            timezone=defaults.timezone,
            language=defaults.language,
            review_times=defaults.review_times,
            # The first batch is at the next review time, not for one that passed before.
            last_review_at=latest_review(
                now, parse_review_times(defaults.review_times), defaults.timezone
            ),
            created_at=now,
        )
    )


async def ensure_person(
    uow: UnitOfWork,
    workspace: Workspace,
    user: str,
    now: datetime,
    *,
    display_name: str | None = None,
    role: Role = Role.STAKEHOLDER,
) -> Person:
    """The person with this platform user id, created with the given role when new."""
    person = await uow.people.get(workspace_id=workspace.id, user_id=user)
    if person is None:
        person = await uow.people.add(
            Person(
                workspace_id=workspace.id,
                platform_user_id=user,
                display_name=display_name,
                role=role,
                created_at=now,
            )
        )
        person.workspace = workspace
    return person


async def person_for(
    uow: UnitOfWork, workspace: Workspace, info: PersonInfo, now: datetime
) -> Person:
    """The person behind an event, created as a stakeholder when new, details kept up to date."""
    person = await ensure_person(uow, workspace, info.user_id, now)
    if info.display_name:
        person.display_name = info.display_name[:255]
    if info.timezone and known_timezone(info.timezone):
        person.timezone = info.timezone
    if info.language:
        person.language = normalise_language(info.language, person.language or workspace.language)
    return person


def known_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("Ignoring unknown time zone %r from the platform", name)
        return False
    return True


def remember_direct_conversation(person: Person, conversation: ConversationRef) -> None:
    """Keep where the person talks to the bot one-to-one, to reach them there later."""
    if conversation.user == person.platform_user_id and conversation.thread is None:
        person.direct_conversation = conversation.model_dump(mode="json")
