"""Neutral messages as Teams activities: plain text, or an Adaptive Card for sections and buttons.

A button is an Action.Submit whose data carries {"action_id", "value"}; a button that needs a
date or a reason first opens (Action.ShowCard) a small card with the input and its own submit,
and the data then also names the input ("input_id"), whose typed value Teams adds to it.
"""

from __future__ import annotations

from typing import Any

from bot.kernel.outbound import Button, Menu, OutboundMessage, Section

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"
STYLES = {"primary": "positive", "danger": "destructive"}


def input_id(button: Button) -> str:
    return f"input_{button.action_id}_{button.value}"


# Teams refuses cards over about 40-100 KB (413): a long request or a full queue is clipped.
MAX_TEXT = 1_500
MAX_FACT = 300


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def no_links(text: str) -> str:
    """TextBlocks render markdown: a stakeholder's "[login](https://evil)" must stay text."""
    return text.replace("](", "]\u200b(")


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": no_links(text), "wrap": True, **style}


def _submit(button: Button, *, title: str | None = None) -> dict[str, Any]:
    data: dict[str, str] = {"action_id": button.action_id, "value": button.value}
    if button.input is not None:
        data["input_id"] = input_id(button)
    action: dict[str, Any] = {"type": "Action.Submit", "title": title or button.label, "data": data}
    if button.style:
        action["style"] = STYLES[button.style]
    return action


def button_action(button: Button) -> dict[str, Any]:
    if button.input is None:
        return _submit(button)
    field: dict[str, Any] = {
        "type": "Input.Date" if button.input.kind == "date" else "Input.Text",
        "id": input_id(button),
        "label": button.input.label,
        "isRequired": button.input.required,
    }
    if button.input.kind == "text":
        field.update(placeholder=button.input.label, isMultiline=True, maxLength=2000)
    return {
        "type": "Action.ShowCard",
        "title": button.label,
        "card": {"type": "AdaptiveCard", "body": [field], "actions": [_submit(button)]},
    }


def menu_action(menu: Menu) -> dict[str, Any]:
    """The menu as a card that opens under its title, with a button per option."""
    return {
        "type": "Action.ShowCard",
        "title": menu.label,
        "card": {"type": "AdaptiveCard", "body": [], "actions": [_submit(b) for b in menu.buttons]},
    }


def section_container(section: Section) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    if section.title:
        items.append(_text(section.title, weight="Bolder", size="Medium"))
    if section.text:
        items.append(_text(clip(section.text, MAX_TEXT)))
    if section.fields:
        facts = [
            {
                "title": no_links(clip(field.label, MAX_FACT)),
                "value": no_links(clip(field.value, MAX_FACT)),
            }
            for field in section.fields
        ]
        items.append({"type": "FactSet", "facts": facts})
    if section.outcome:
        items.append(_text(section.outcome, weight="Bolder", color="Good"))
    actions = [button_action(button) for button in section.buttons]
    if section.menu is not None and section.menu.buttons:
        actions.append(menu_action(section.menu))
    if actions:
        items.append({"type": "ActionSet", "actions": actions})
    container: dict[str, Any] = {"type": "Container", "items": items, "separator": True}
    if section.key:
        container["id"] = section.key
    return container


def adaptive_card(message: OutboundMessage) -> dict[str, Any]:
    body: list[dict[str, Any]] = [_text(clip(message.text, MAX_TEXT))]
    body.extend(section_container(section) for section in message.sections)
    if message.image is not None:
        body.append(
            {
                "type": "Image",
                "url": f"data:image/png;base64,{message.image.png_base64}",
                "altText": message.image.alt,
            }
        )
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }


def activity(message: OutboundMessage) -> dict[str, Any]:
    """The activity to post (or to put in place of an earlier one)."""
    if not message.sections and message.image is None:
        return {"type": "message", "text": message.text, "textFormat": "plain"}
    return {
        "type": "message",
        "summary": message.text[:200],
        "attachments": [{"contentType": ADAPTIVE_CARD, "content": adaptive_card(message)}],
    }
