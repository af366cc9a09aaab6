"""Finding and remembering the people and workspaces that events come from."""

from __future__ import annotations

from datetime import datetime

from bot.events import ConversationRef, PersonInfo
from bot.i18n import normalise_language
from handlers.context import Defaults
from storage.models import Person, Role, Workspace
from storage.repositories import UnitOfWork


async def workspace_for(
    uow: UnitOfWork, conversation: ConversationRef, defaults: Defaults, now: datetime
) -> Workspace:
    """The workspace an event belongs to; one seen for the first time is set up with defaults."""
    workspace = await uow.workspaces.get(
        platform=conversation.platform, external_id=conversation.workspace
    )
    if workspace is not None:
        return workspace
    return await uow.workspaces.add(
        Workspace(
            platform=conversation.platform,
            external_id=conversation.workspace,
            name=conversation.workspace,
            timezone=defaults.timezone,
            language=defaults.language,
            review_times=defaults.review_times,
            created_at=now,
        )
    )


async def person_for(
    uow: UnitOfWork, workspace: Workspace, info: PersonInfo, now: datetime
) -> Person:
    """The person behind an event, created as a stakeholder when new, details kept up to date."""
    person = await uow.people.get(workspace_id=workspace.id, user_id=info.user_id)
    if person is None:
        person = await uow.people.add(
            Person(
                workspace_id=workspace.id,
                platform_user_id=info.user_id,
                role=Role.STAKEHOLDER,
                created_at=now,
            )
        )
        person.workspace = workspace
    if info.display_name:
        person.display_name = info.display_name[:255]
    if info.timezone:
        person.timezone = info.timezone
    if info.language:
        person.language = normalise_language(info.language, person.language or workspace.language)
    return person


def remember_direct_conversation(person: Person, conversation: ConversationRef) -> None:
    """Keep where the person talks to the bot one-to-one, to reach them there later."""
    if conversation.user == person.platform_user_id and conversation.thread is None:
        person.direct_conversation = conversation.model_dump(mode="json")
