"""Which person an activity is from: Teams names a user by `29:…` and by their AAD object id.

`heatshield team set --po` takes either; a forwarded message names its author only by the AAD
object id. Before an event is stored, its ids are mapped onto the person Heatshield knows.
"""

from __future__ import annotations

from bot.kernel.events import InboundEvent, MessageEvent, PersonInfo
from storage.models import Person, Role
from storage.repositories import Database, UnitOfWork

# When both ids are on record (named once by each), the one with the larger part wins.
RANK: dict[str, int] = {role.value: rank for rank, role in enumerate(Role)}


def _aad_of(person: Person) -> str | None:
    extra = (person.direct_conversation or {}).get("extra") or {}
    value = extra.get("aadObjectId") if isinstance(extra, dict) else None
    return value if isinstance(value, str) else None


async def _known_id(
    uow: UnitOfWork, workspace_id: int, candidates: tuple[str | None, ...]
) -> str | None:
    """The first candidate on record; one with a part to play (PO, delegate...) goes first."""
    known: list[Person] = []
    for candidate in candidates:
        if candidate:
            found = await uow.people.get(workspace_id=workspace_id, user_id=candidate)
            if found is not None:
                known.append(found)
    known.sort(key=lambda person: RANK.get(person.role, len(RANK)))
    return known[0].platform_user_id if known else None


async def _author_id(uow: UnitOfWork, workspace_id: int, aad: str) -> str | None:
    known = await _known_id(uow, workspace_id, (aad,))
    if known:
        return known
    for person in await uow.people.in_workspace(workspace_id=workspace_id):
        if _aad_of(person) == aad:
            return person.platform_user_id
    return None


async def with_known_ids(db: Database, event: InboundEvent, aad: str | None) -> InboundEvent:
    """The event with the sender (and a forward's author) as the people already on record."""
    conversation = event.conversation
    async with db.read() as uow:
        workspace = await uow.workspaces.get(
            platform=conversation.platform, external_id=conversation.workspace
        )
        if workspace is None:
            return event
        teams_id = event.sender.user_id
        sender_id = await _known_id(uow, workspace.id, (teams_id, aad)) or teams_id
        update: dict[str, object] = {}
        if sender_id != teams_id:
            update["sender"] = event.sender.model_copy(update={"user_id": sender_id})
            if conversation.user == teams_id:
                update["conversation"] = conversation.model_copy(update={"user": sender_id})
        if isinstance(event, MessageEvent) and event.forward_of is not None:
            author = event.forward_of.author
            author_id = await _author_id(uow, workspace.id, author.user_id)
            if author_id and author_id != author.user_id:
                known_author = PersonInfo(user_id=author_id, display_name=author.display_name)
                update["forward_of"] = event.forward_of.model_copy(update={"author": known_author})
    return event.model_copy(update=update) if update else event
