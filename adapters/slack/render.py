"""Neutral messages as Block Kit: messages, the App Home view, and the modals the bot opens.

A button that needs something typed first (a date, a reason, a question) is rendered with the
action id "input:<action>" and carries what the modal should ask for in its value; its click opens
that modal, and the modal's submission is the neutral click with the input.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.kernel.i18n import Translator
from bot.kernel.outbound import Button, InputSpec, Menu, OutboundMessage, Section

INPUT_PREFIX = "input:"
# Every action id this adapter renders: a handler's own (snake_case), one behind "input:", or the
# menu's. Slack's ids for anything else (its own elements, another app's) do not look like this.
ACTION_ID = re.compile(r"\A(?:input:)?[a-z][a-z0-9_]*\Z")
# A menu is a static select; its options carry "<action id>|<value>" (Slack allows 150 chars).
MENU_ACTION = "menu"
MENU_SEPARATOR = "|"
CALLBACK_INPUT = "heatshield_input"
CALLBACK_REQUEST = "heatshield_request"
ANSWER = "answer"
# The action whose modal picks people instead of typing their ids.
PEOPLE_ACTIONS = frozenset({"set_delegates"})
MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_BUTTON_TEXT = 75
MAX_TITLE = 24
MAX_TEXT = 40_000

Block = dict[str, Any]


def escape(text: str) -> str:
    """Slack's mrkdwn needs &, < and > escaped; anything else shows as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def message_payload(message: OutboundMessage) -> dict[str, Any]:
    """The arguments of chat.postMessage / chat.update: a fallback text and the blocks."""
    # The fallback text is parsed by Slack too (notifications): escaped like the blocks, so a
    # stakeholder's "<!channel>" or "<@U…>" in a title pings nobody.
    return {"text": clip(escape(message.text), MAX_TEXT), "blocks": blocks(message, MAX_BLOCKS)}


def blocks(message: OutboundMessage, limit: int) -> list[Block]:
    rendered: list[Block] = []
    if message.text:
        rendered.append({"type": "section", "text": mrkdwn(escape(message.text))})
    for index, section in enumerate(message.sections):
        rendered.extend(section_blocks(section, index))
    if message.image is not None:
        rendered.append({"type": "context", "elements": [mrkdwn(escape(message.image.alt))]})
    if len(rendered) > limit:
        rendered = rendered[: limit - 1]
        rendered.append({"type": "context", "elements": [mrkdwn("…")]})
    return rendered


def section_blocks(section: Section, index: int) -> list[Block]:
    block_id = section.key or f"section-{index}"
    lines = []
    if section.title:
        lines.append(f"*{escape(section.title)}*")
    if section.text:
        lines.append(escape(section.text))
    fields = [
        mrkdwn(f"*{escape(field.label)}*\n{escape(field.value)}", MAX_FIELD_TEXT)
        for field in section.fields
    ]
    if len(fields) > MAX_FIELDS:
        lines.extend(str(field["text"]) for field in fields[MAX_FIELDS:])
        fields = fields[:MAX_FIELDS]
    rendered: list[Block] = []
    if lines or fields:
        body: Block = {"type": "section", "block_id": f"{block_id}:body"}
        body["text"] = mrkdwn("\n".join(lines) or " ")
        if fields:
            body["fields"] = fields
        rendered.append(body)
    if section.outcome:
        rendered.append(
            {
                "type": "context",
                "block_id": f"{block_id}:outcome",
                "elements": [mrkdwn(f":white_check_mark: {escape(section.outcome)}")],
            }
        )
    elements = [button_element(button) for button in section.buttons[:24]]
    if section.menu is not None and section.menu.buttons:
        elements.append(menu_element(section.menu))
    if elements:
        rendered.append(
            {"type": "actions", "block_id": f"{block_id}:actions", "elements": elements}
        )
    return rendered


def menu_element(menu: Menu) -> Block:
    """A select whose choice is the click of one of the menu's buttons (no inputs in menus)."""
    return {
        "type": "static_select",
        "action_id": MENU_ACTION,
        "placeholder": plain(menu.label, MAX_BUTTON_TEXT),
        "options": [
            {
                "text": plain(button.label, MAX_BUTTON_TEXT),
                "value": f"{button.action_id}{MENU_SEPARATOR}{button.value}"[:150],
            }
            for button in menu.buttons[:100]
        ],
    }


def read_menu_choice(action: dict[str, Any]) -> tuple[str, str] | None:
    """(action id, value) of the option chosen in a menu, or None for anything else."""
    if action.get("action_id") != MENU_ACTION:
        return None
    value = str((action.get("selected_option") or {}).get("value") or "")
    action_id, separator, argument = value.partition(MENU_SEPARATOR)
    return (action_id, argument) if separator and action_id else None


def button_element(button: Button) -> Block:
    element: Block = {"type": "button", "text": plain(button.label, MAX_BUTTON_TEXT)}
    if button.input is None:
        element["action_id"] = button.action_id
        element["value"] = button.value
    else:
        element["action_id"] = INPUT_PREFIX + button.action_id
        element["value"] = json.dumps(
            {
                "v": button.value,
                "k": button.input.kind,
                "l": button.input.label,
                "r": button.input.required,
                "t": button.label,
            },
            ensure_ascii=False,
        )[:2000]
    if button.style:
        element["style"] = button.style
    return element


@dataclass(frozen=True)
class InputButton:
    """What a clicked "input:" button asks for, read back from its value."""

    action_id: str
    value: str
    spec: InputSpec
    title: str


def read_input_button(action_id: str, value: str) -> InputButton | None:
    if not action_id.startswith(INPUT_PREFIX):
        return None
    try:
        data = json.loads(value)
        spec = InputSpec(kind=data["k"], label=str(data["l"]), required=bool(data.get("r", True)))
        return InputButton(
            action_id=action_id.removeprefix(INPUT_PREFIX),
            value=str(data["v"]),
            spec=spec,
            title=str(data.get("t") or spec.label),
        )
    except (ValueError, KeyError, TypeError):
        return None


def input_modal(tr: Translator, button: InputButton, metadata: dict[str, Any]) -> dict[str, Any]:
    """The modal that asks for a button's input; its submission is the click."""
    if button.action_id in PEOPLE_ACTIONS:
        element: Block = {"type": "multi_users_select", "action_id": ANSWER}
    elif button.spec.kind == "date":
        element = {"type": "datepicker", "action_id": ANSWER}
    else:
        element = {"type": "plain_text_input", "action_id": ANSWER, "multiline": True}
    return {
        "type": "modal",
        "callback_id": CALLBACK_INPUT,
        "private_metadata": json.dumps(metadata)[:3000],
        "title": plain(button.title, MAX_TITLE),
        "submit": plain(tr.t("Send"), MAX_TITLE),
        "close": plain(tr.t("Cancel"), MAX_TITLE),
        "blocks": [
            {
                "type": "input",
                "block_id": ANSWER,
                "optional": not button.spec.required,
                "label": plain(button.spec.label, 2000),
                "element": element,
            }
        ],
    }


def request_modal(tr: Translator, initial: str = "") -> dict[str, Any]:
    """/request: what, why and for whom, needed by, urgent?"""
    what: Block = {
        "type": "plain_text_input",
        "action_id": "what",
        "multiline": True,
        "max_length": 3000,
    }
    if initial:
        what["initial_value"] = initial[:3000]
    return {
        "type": "modal",
        "callback_id": CALLBACK_REQUEST,
        # The request is stored, in these words, before Slack is asked who sent it.
        "private_metadata": json.dumps({"l": tr.language}),
        "title": plain(tr.t("New request"), MAX_TITLE),
        "submit": plain(tr.t("Send"), MAX_TITLE),
        "close": plain(tr.t("Cancel"), MAX_TITLE),
        "blocks": [
            {
                "type": "input",
                "block_id": "what",
                "label": plain(tr.t("What do you need?"), 2000),
                "element": what,
            },
            {
                "type": "input",
                "block_id": "why",
                "optional": True,
                "label": plain(tr.t("Why, and for whom?"), 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "why",
                    "multiline": True,
                    "max_length": 3000,
                },
            },
            {
                "type": "input",
                "block_id": "needed_by",
                "optional": True,
                "label": plain(tr.t("Needed by"), 2000),
                "element": {"type": "datepicker", "action_id": "needed_by"},
            },
            {
                "type": "input",
                "block_id": "urgent",
                "optional": True,
                "label": plain(tr.t("Urgent?"), 2000),
                "element": {
                    "type": "checkboxes",
                    "action_id": "urgent",
                    "options": [
                        {
                            "text": plain(tr.t("Yes, this cannot wait for the next review"), 75),
                            "value": "urgent",
                        }
                    ],
                },
            },
        ],
    }


def home_view(message: OutboundMessage) -> dict[str, Any]:
    return {"type": "home", "blocks": blocks(message, MAX_HOME_BLOCKS)}
