"""What a handler gets besides its event: the transaction, the clock, the triage, who acts where."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.i18n import Translator
from storage.models import Person, Workspace
from storage.repositories import UnitOfWork

if TYPE_CHECKING:
    from handlers.triage import Triager


@dataclass(frozen=True)
class Defaults:
    """Workspace settings used until someone configures their own."""

    language: str = "en"
    timezone: str = "Europe/Amsterdam"
    review_times: str = "tue,thu 09:00"


@dataclass
class Services:
    """Long-lived collaborators the application hands every handler."""

    clock: Clock
    defaults: Defaults
    # The triage model is loaded on first use: commands that never triage never pay for it.
    triager_factory: Callable[[], Triager]
    _triager: Triager | None = field(default=None, init=False, repr=False)

    @property
    def triager(self) -> Triager:
        if self._triager is None:
            self._triager = self.triager_factory()
        return self._triager


@dataclass
class Context:
    uow: UnitOfWork
    services: Services
    workspace: Workspace
    actor: Person

    @property
    def clock(self) -> Clock:
        return self.services.clock

    def translator_for(self, person: Person) -> Translator:
        return Translator(language_of(person, self.workspace))

    @property
    def tr(self) -> Translator:
        return self.translator_for(self.actor)


def language_of(person: Person, workspace: Workspace) -> str:
    return person.language or workspace.language


def timezone_of(person: Person, workspace: Workspace) -> str:
    return person.timezone or workspace.timezone
