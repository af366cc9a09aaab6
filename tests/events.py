"""Neutral inbound events for tests that drive the pipeline directly."""

from __future__ import annotations

from bot.kernel.events import ConversationRef, MessageEvent, PersonInfo

FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)


def message(key: str, user: str = "anna", text: str = FEATURE) -> MessageEvent:
    """A direct message to the bot in the playground's demo workspace."""
    return MessageEvent(
        conversation=ConversationRef(
            platform="playground", workspace="demo", channel=f"@{user}", user=user
        ),
        sender=PersonInfo(user_id=user),
        text=text,
        idempotency_key=key,
    )
