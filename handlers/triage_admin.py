"""Keeping stored embeddings in one model's space after the embedder changed."""

from __future__ import annotations

from bot.errors import HeatshieldError
from handlers.cards import request_text
from handlers.people import find_workspace
from handlers.triage.service import TriageService
from storage.repositories import UnitOfWork

PAGE = 64


async def reembed(
    uow: UnitOfWork,
    service: TriageService,
    *,
    workspace: str | None = None,
    platform: str | None = None,
) -> tuple[int, str]:
    """Embed every item stored with another model again; (how many, with which model).

    Runs in the caller's one transaction: when the endpoint fails half-way, nothing is kept
    and the error says so."""
    workspace_id = (await find_workspace(uow, workspace, platform)).id if workspace else None
    model = service.similarity_model
    count, after = 0, 0
    while True:
        items = await uow.triage.with_embedding_model_other_than(
            model=model, workspace_id=workspace_id, after_id=after, limit=PAGE
        )
        if not items:
            return count, model
        vectors = await service.vectors([request_text(item) for item in items])
        if any(v.similarity_model != model for v in vectors):
            raise HeatshieldError(
                f"the embeddings endpoint did not answer; nothing was changed ({count} items "
                "had been embedded). Run it again once the endpoint works."
            )
        for item, own in zip(items, vectors, strict=True):
            item.embedding = [float(x) for x in own.similarity]
            item.embedding_model = own.similarity_model
        count += len(items)
        after = items[-1].id
