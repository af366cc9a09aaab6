"""Short, generic descriptions of each request type in English and Dutch.

A request's embedding is compared with these; they are what a triage person would write as
"typical" examples of each type, not requests from any data set.
"""

from __future__ import annotations

import numpy as np

from handlers.triage import model

PROTOTYPES: dict[str, tuple[str, ...]] = {
    "incident": (
        "The system is down and nobody can log in.",
        "Production outage: the website returns errors for all users.",
        "Payments are failing for every customer right now.",
        "We are under attack, there is a security breach.",
        "The application crashes for everyone since the last deployment.",
        "Het systeem ligt eruit en niemand kan inloggen.",
        "Storing: de website geeft foutmeldingen voor alle gebruikers.",
        "Alle betalingen mislukken op dit moment.",
        "Er is een datalek of een beveiligingsincident.",
        "Sinds de laatste release crasht de applicatie voor iedereen.",
    ),
    "bug": (
        "The page shows the wrong amount.",
        "The total is calculated incorrectly.",
        "The email contains the wrong name.",
        "Search does not find results that should exist.",
        "The date is displayed in the wrong format.",
        "De pagina toont het verkeerde bedrag.",
        "Het totaal wordt verkeerd berekend.",
        "In de e-mail staat de verkeerde naam.",
        "Zoeken vindt geen resultaten die er wel zouden moeten zijn.",
        "De datum wordt in het verkeerde formaat getoond.",
    ),
    "feature": (
        "Please add a new option to the settings page.",
        "Could we get a report that shows the monthly figures?",
        "I would like an export of the data to Excel.",
        "Can you build a new screen for managing users?",
        "We need a notification when a new order arrives.",
        "Graag een nieuwe optie op de instellingenpagina.",
        "Kunnen we een rapport krijgen met de maandcijfers?",
        "Ik wil een export van de gegevens naar Excel.",
        "Kunnen jullie een nieuw scherm bouwen voor gebruikersbeheer?",
        "We willen een melding krijgen als er een nieuwe bestelling binnenkomt.",
    ),
    "question": (
        "How does this feature work?",
        "When will the new version be released?",
        "What is the policy for storing personal data?",
        "Who can I ask about access rights?",
        "Is it possible to see the history of an order?",
        "Hoe werkt deze functie?",
        "Wanneer komt de nieuwe versie uit?",
        "Wat is het beleid voor het bewaren van persoonsgegevens?",
        "Wie kan ik vragen over toegangsrechten?",
        "Is het mogelijk om de historie van een bestelling te zien?",
    ),
}
TOP_K = 3


class Prototypes:
    """The embedded prototypes; ``scores`` rates a request's vector against each type."""

    def __init__(self, embedder: model.Embedder) -> None:
        self._matrices = {
            kind: model.encode(embedder, list(texts)) for kind, texts in PROTOTYPES.items()
        }

    def scores(self, vector: model.Matrix) -> dict[str, float]:
        """Per type, the mean similarity to its TOP_K closest prototypes."""
        return {
            kind: float(np.sort(matrix @ vector)[-TOP_K:].mean())
            for kind, matrix in self._matrices.items()
        }
