"""What a handler gets besides its event: the transaction, the clock, the triage, who acts where."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.kernel.clock import Clock
from bot.kernel.i18n import Translator
from handlers.candidates import CandidateIndex
from handlers.triage.service import TriageService
from storage.models import Person, Workspace
from storage.repositories import UnitOfWork


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
    # The model and the encoder load on first use (or at start-up, when serving): commands
    # that never triage never pay for them.
    triage: TriageService
    # Each workspace's duplicate index, kept in memory for the life of the process.
    candidates: CandidateIndex = field(default_factory=CandidateIndex)


@dataclass
class Context:
    uow: UnitOfWork
    services: Services
    workspace: Workspace
    actor: Person
    # What handling the event came to, in a few words for the log's one line per event
    # ("request #12 filed: bug, urgent"); the middleware sets the route or button otherwise.
    outcome: str = ""

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
