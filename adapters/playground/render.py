"""Inbox rows as the playground page and API show them."""

from __future__ import annotations

from typing import Any

from bot.kernel.events import MessageEvent
from bot.kernel.outbound import OutboundMessage
from storage.models import PlaygroundMessage


def own_message(event: MessageEvent, forwarded_from: str | None) -> dict[str, Any]:
    """What a person wrote, as their conversation keeps it (a forward: the message passed on)."""
    if event.forward_of is not None:
        return {"text": event.forward_of.text, "forwarded_from": forwarded_from}
    return {"text": event.text, "forwarded_from": None}


def inbox_entry(row: PlaygroundMessage) -> dict[str, Any]:
    if row.from_person:
        return {
            "id": row.id,
            "from": "person",
            "text": str(row.message.get("text", "")),
            "forwarded_from": row.message.get("forwarded_from"),
            "sections": [],
            "buttons": [],
            "image": None,
            "created_at": row.created_at.isoformat(),
            "updated_at": None,
        }
    message = OutboundMessage.model_validate(row.message)
    return {
        "id": row.id,
        "from": "bot",
        "text": message.text,
        "sections": [section.model_dump(mode="json") for section in message.sections],
        "buttons": [
            {
                "label": button.label,
                "action_id": button.action_id,
                "value": button.value,
                "style": button.style,
                "input": button.input.model_dump(mode="json") if button.input else None,
            }
            for button in message.buttons
        ],
        "image": (
            {"src": f"data:image/png;base64,{message.image.png_base64}", "alt": message.image.alt}
            if message.image
            else None
        ),
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }
