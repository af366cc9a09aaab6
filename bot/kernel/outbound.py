"""Neutral outbound messages: handlers write these, each adapter renders them its own way."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class InputSpec(BaseModel):
    """Something the person fills in before the click counts (a date, a reason, a question)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["text", "date"]
    label: str
    required: bool = True


class Button(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    action_id: str
    value: str
    style: Literal["primary", "danger"] | None = None
    input: InputSpec | None = None


class Menu(BaseModel):
    """Secondary actions behind one control ("Correct the triage"): each option is a click."""

    model_config = ConfigDict(frozen=True)

    label: str
    buttons: tuple[Button, ...]


class Field(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    value: str


class Section(BaseModel):
    """One block of a card: usually one backlog item with its facts and decision buttons."""

    model_config = ConfigDict(frozen=True)

    # Names what the section shows ("item:12"), so a later update can find it again.
    key: str | None = None
    title: str | None = None
    text: str | None = None
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    menu: Menu | None = None
    # What was decided, once it was: shown in place of the buttons.
    outcome: str | None = None


class Image(BaseModel):
    """A picture sent with a message (the digest's chart), as base64-encoded PNG."""

    model_config = ConfigDict(frozen=True)

    png_base64: str
    alt: str


class OutboundMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    sections: tuple[Section, ...] = ()
    image: Image | None = None
    # Set by the outbox as it sends: the platform keeps it with the message where it can, so
    # a send whose outcome was lost can be looked for instead of repeated.
    delivery_key: str | None = None

    @property
    def buttons(self) -> tuple[Button, ...]:
        """Every button of the message, its menus' options included."""
        found: list[Button] = []
        for section in self.sections:
            found.extend(section.buttons)
            if section.menu is not None:
                found.extend(section.menu.buttons)
        return tuple(found)

    def replace_section(self, key: str, section: Section) -> OutboundMessage:
        sections = tuple(section if old.key == key else old for old in self.sections)
        return self.model_copy(update={"sections": sections})

    def without_buttons(self) -> OutboundMessage:
        sections = tuple(
            section.model_copy(update={"buttons": (), "menu": None}) for section in self.sections
        )
        return self.model_copy(update={"sections": sections})
