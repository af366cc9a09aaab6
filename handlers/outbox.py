"""Writing messages to the outbox, in the same transaction as the change that causes them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.kernel.events import ConversationRef, InboundEvent
from bot.kernel.outbound import OutboundMessage
from handlers.context import Context
from storage.models import BacklogItem, OutboxMessage, Person


def direct_conversation(person: Person) -> ConversationRef:
    """The person's one-to-one chat with the bot, as last seen or as the platform names it."""
    if person.direct_conversation:
        return ConversationRef.model_validate(person.direct_conversation)
    workspace = person.workspace
    return ConversationRef(
        platform=workspace.platform,
        workspace=workspace.external_id,
        channel=f"@{person.platform_user_id}",
        user=person.platform_user_id,
    )


def new_outbox_row(
    conversation: ConversationRef,
    message: OutboundMessage,
    now: datetime,
    *,
    recipient: Person | None = None,
) -> OutboxMessage:
    return OutboxMessage(
        platform=conversation.platform,
        conversation=conversation.model_dump(mode="json"),
        recipient_id=recipient.id if recipient else None,
        message=message.model_dump(mode="json"),
        kind="send",
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


async def send(
    ctx: Context,
    conversation: ConversationRef,
    message: OutboundMessage,
    *,
    recipient: Person | None = None,
    item_ids: Sequence[int] = (),
) -> OutboxMessage:
    row = new_outbox_row(conversation, message, ctx.clock.now(), recipient=recipient)
    return await ctx.uow.outbox.add(row, item_ids=item_ids)


async def send_direct(
    ctx: Context,
    person: Person,
    message: OutboundMessage,
    *,
    item_ids: Sequence[int] = (),
    not_before: datetime | None = None,
) -> OutboxMessage:
    """To the person's one-to-one chat; `not_before` holds it back (quiet hours)."""
    row = await send(ctx, direct_conversation(person), message, recipient=person, item_ids=item_ids)
    if not_before is not None and not_before > row.next_attempt_at:
        row.next_attempt_at = not_before
    return row


async def reply(ctx: Context, conversation: ConversationRef, message: OutboundMessage) -> None:
    """Answer the actor where they spoke (in the thread, for a channel message)."""
    await send(ctx, conversation, message, recipient=ctx.actor)


async def answer(ctx: Context, event: InboundEvent, text: str) -> None:
    """Answer the event's sender with a line of text, where they spoke or clicked."""
    await reply(ctx, event.conversation, OutboundMessage(text=text))


async def update_cards(
    ctx: Context,
    item: BacklogItem,
    rewrite: Callable[[OutboundMessage, Person | None], OutboundMessage],
) -> int:
    """Rewrite every sent card that shows the item; each changed one gets an update row after
    its send. Returns how many cards show the item."""
    cards = await ctx.uow.outbox.cards_showing(item_id=item.id)
    for card in cards:
        await rewrite_card(ctx, card, rewrite)
    return len(cards)


async def rewrite_card(
    ctx: Context,
    card: OutboxMessage,
    rewrite: Callable[[OutboundMessage, Person | None], OutboundMessage],
) -> None:
    """Rewrite one sent card; when it changed, an update row follows its send."""
    now = ctx.clock.now()
    recipient = (
        await ctx.uow.people.by_id(person_id=card.recipient_id) if card.recipient_id else None
    )
    current = OutboundMessage.model_validate(card.message)
    rewritten = rewrite(current, recipient)
    if rewritten == current:
        return  # nothing on this card changed: no update to send
    card.message = rewritten.model_dump(mode="json")
    await ctx.uow.outbox.add(
        OutboxMessage(
            platform=card.platform,
            conversation=card.conversation,
            recipient_id=card.recipient_id,
            message=card.message,
            kind="update",
            updates_id=card.id,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
