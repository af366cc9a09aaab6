"""From a neutral event to a committed change: store the inbound, then handle it in one transaction.

Acked means stored: adapters call `accept` before they acknowledge the platform, then `process`
(at once, or in the background). An inbound seen before is recognised by its key and ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError

from bot.events import InboundEvent, MessageEvent
from bot.i18n import normalise_language, translate
from bot.messages import OutboundMessage
from handlers.context import Context, Services
from handlers.dispatch import dispatch
from handlers.outbox import new_outbox_row
from handlers.people import person_for, remember_direct_conversation, workspace_for
from storage.models import InboundRecord
from storage.repositories import Database

log = logging.getLogger(__name__)
EVENT_ADAPTER: TypeAdapter[InboundEvent] = TypeAdapter(InboundEvent)
# An inbound still pending after this long was interrupted (a crash, a restart): handle it again.
STALE_AFTER = timedelta(minutes=1)
CONFLICT_RETRIES = 3


class Pipeline:
    def __init__(
        self,
        db: Database,
        services: Services,
        on_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self._db = db
        self._services = services
        self._on_outbox = on_outbox

    async def accept(self, event: InboundEvent) -> bool:
        """Commit the raw inbound; False when the same inbound was accepted before (unless its
        handling failed then: a redelivery is the moment to try again)."""
        async with self._db.transaction() as uow:
            if await uow.inbound.add(
                InboundRecord(
                    platform=event.conversation.platform,
                    idempotency_key=event.idempotency_key,
                    workspace_external_id=event.conversation.workspace,
                    kind=event.kind,
                    event=event.model_dump(mode="json"),
                    status="pending",
                    received_at=self._services.clock.now(),
                )
            ):
                return True
            return await uow.inbound.retry_failed(
                platform=event.conversation.platform, key=event.idempotency_key
            )

    async def receive(self, event: InboundEvent) -> bool:
        """Accept and handle at once; False for a redelivery, which changes nothing."""
        if not await self.accept(event):
            log.info("Ignoring redelivered %s %s", event.kind, event.idempotency_key)
            return False
        await self.process(event)
        return True

    async def process(self, event: InboundEvent) -> None:
        try:
            await self._handle_with_retry(event)
        except Exception as exc:
            log.exception("Handling %s %s failed", event.kind, event.idempotency_key)
            await self._mark_failed(event, exc)
        self._on_outbox()

    async def recover(self) -> int:
        """Handle the inbounds that were stored but never finished."""
        cutoff = self._services.clock.now() - STALE_AFTER
        async with self._db.transaction() as uow:
            records = await uow.inbound.unfinished(received_before=cutoff)
            events = [EVENT_ADAPTER.validate_python(record.event) for record in records]
        for event in events:
            await self.process(event)
        return len(events)

    async def _handle_with_retry(self, event: InboundEvent) -> None:
        """Two first events of a new person or workspace race to create it: the loser's
        transaction rolls back whole, and handling it again finds what the winner made."""
        for attempt in range(CONFLICT_RETRIES):
            try:
                await self._handle(event)
                return
            except IntegrityError:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                log.info("Retrying %s %s after a conflict", event.kind, event.idempotency_key)

    async def _handle(self, event: InboundEvent) -> None:
        now = self._services.clock.now()
        async with self._db.transaction() as uow:
            if not await uow.inbound.finish(
                platform=event.conversation.platform, key=event.idempotency_key, now=now
            ):
                return  # another worker handled it already
            workspace = await workspace_for(uow, event.conversation, self._services.defaults, now)
            actor = await person_for(uow, workspace, event.sender, now)
            if isinstance(event, MessageEvent) and event.source == "direct":
                remember_direct_conversation(actor, event.conversation)
            await dispatch(event, Context(uow, self._services, workspace, actor))

    async def _mark_failed(self, event: InboundEvent, exc: Exception) -> None:
        """Keep the failure with the inbound, and tell the sender politely that it is kept."""
        now = self._services.clock.now()
        language = normalise_language(event.sender.language, self._services.defaults.language)
        apology = OutboundMessage(
            text=translate(
                language,
                "Sorry, something went wrong on my side and I could not handle your message. "
                "It is kept for the team to look into; please send it again in a moment.",
            )
        )
        async with self._db.transaction() as uow:
            await uow.inbound.fail(
                platform=event.conversation.platform,
                key=event.idempotency_key,
                error=f"{type(exc).__name__}: {exc}"[:2000],
                now=now,
            )
            await uow.outbox.add(new_outbox_row(event.conversation, apology, now))
