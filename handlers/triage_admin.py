"""Keeping stored embeddings in one model's space after the embedder changed."""

from __future__ import annotations

from bot.kernel.errors import HeatshieldError
from handlers.cards import request_text
from handlers.people import find_workspace
from handlers.triage.embedding import to_bytes
from handlers.triage.service import TriageService
from storage.repositories import Database

PAGE = 64


async def reembed(
    db: Database,
    service: TriageService,
    *,
    workspace: str | None = None,
    platform: str | None = None,
) -> tuple[int, str]:
    """Embed every item a new request may be compared with (open or on the backlog) again,
    when another model stored its embedding; (how many, with which model).

    Each page is its own short transaction, so live clicks never wait long behind it; when the
    endpoint fails half-way, what was done stays done and the error says how far it got."""
    workspace_id = None
    if workspace:
        async with db.transaction() as uow:
            workspace_id = (await find_workspace(uow, workspace, platform)).id
    model = service.similarity_model
    count, after = 0, 0
    while True:
        async with db.transaction() as uow:
            items = await uow.triage.with_embedding_model_other_than(
                model=model, workspace_id=workspace_id, after_id=after, limit=PAGE
            )
            if not items:
                return count, model
            vectors = await service.vectors([request_text(item) for item in items])
            if any(v.similarity_model != model for v in vectors):
                raise HeatshieldError(
                    f"the embeddings endpoint did not answer; {count} items were re-embedded "
                    "before it stopped. Run it again once the endpoint works."
                )
            for item, own in zip(items, vectors, strict=True):
                item.embedding = to_bytes(own.similarity)
                item.embedding_model = own.similarity_model
        count += len(items)
        after = items[-1].id
