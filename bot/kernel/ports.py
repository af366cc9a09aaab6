"""The ports: what the runtime needs of an adapter (a sender) and what an adapter may use of the
runtime (an inbox), as protocols, so that neither imports the other."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.kernel.events import ConversationRef, InboundEvent
from bot.kernel.outbound import OutboundMessage


class Sender(Protocol):
    """What an adapter offers the worker: post a message, or rewrite one it posted."""

    async def send(self, conversation: ConversationRef, message: OutboundMessage) -> str:
        """Post the message; return the platform's reference to it (for later updates)."""
        ...

    async def update(
        self, conversation: ConversationRef, delivered_ref: str, message: OutboundMessage
    ) -> None: ...


@runtime_checkable
class Reconciling(Protocol):
    """A sender that can tell whether a message (by its `delivery_key`) already went out."""

    async def find(
        self, conversation: ConversationRef, message: OutboundMessage, since: datetime
    ) -> str | None:
        """The delivered reference of the message, if the platform has it."""
        ...


class InboundHooks(Protocol):
    """What a platform adds around handling: the sender's details fetched after the ack
    (``enrich``), and what it shows once an event was handled (``handled``)."""

    async def enrich(self, event: InboundEvent) -> InboundEvent: ...

    async def handled(self, event: InboundEvent) -> None: ...


class Inbox(Protocol):
    """What an adapter may ask of the runtime about what arrives: store an event before it
    acks (``accept``), refuse one while storing would take too long (``shedding``), and, for a
    platform that answers in the same request (the playground), handle it at once."""

    def shedding(self) -> bool: ...

    async def accept(self, event: InboundEvent) -> bool:
        """Commit the event; False when the same event was accepted before."""
        ...

    async def process(self, event: InboundEvent, *, within: float = 10.0) -> None: ...

    async def wait_handled(self, event: InboundEvent, *, within: float = 10.0) -> bool: ...

    def add_hooks(self, platform: str, hooks: InboundHooks) -> None: ...
