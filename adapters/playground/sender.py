"""Delivery to the playground: the bot's messages land in each person's inbox in the database."""

from __future__ import annotations

from bot.kernel.clock import Clock
from bot.kernel.errors import UndeliverableError
from bot.kernel.events import ConversationRef
from bot.kernel.outbound import OutboundMessage
from storage.models import PlaygroundMessage
from storage.repositories import Database

PLATFORM = "playground"


class PlaygroundSender:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def send(self, conversation: ConversationRef, message: OutboundMessage) -> str:
        user = conversation.user or conversation.channel.removeprefix("@")
        async with self._db.transaction() as uow:
            row = await uow.playground.add(
                PlaygroundMessage(
                    workspace=conversation.workspace,
                    user_id=user,
                    message=message.model_dump(mode="json"),
                    created_at=self._clock.now(),
                )
            )
            return str(row.id)

    async def update(
        self, conversation: ConversationRef, delivered_ref: str, message: OutboundMessage
    ) -> None:
        async with self._db.transaction() as uow:
            row = await uow.playground.get(message_id=int(delivered_ref))
            if row is None:
                raise UndeliverableError(f"playground message {delivered_ref} is gone")
            row.message = message.model_dump(mode="json")
            row.updated_at = self._clock.now()
