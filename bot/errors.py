"""One small error hierarchy; each exception carries the values that explain it."""

from __future__ import annotations


class HeatshieldError(Exception):
    """Base of every error Heatshield raises on purpose."""


class ConfigurationError(HeatshieldError):
    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting
        self.problem = problem


class NotFoundError(HeatshieldError):
    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"{what} not found: {key}")
        self.what = what
        self.key = key


class InvalidInputError(HeatshieldError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
