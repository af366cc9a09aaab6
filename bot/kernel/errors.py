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


class RetryLaterError(HeatshieldError):
    """The platform could not take the message now; try again (after `retry_after` seconds).
    `rate_limited`: the platform said "too many" (429), for the whole workspace. `maybe_sent`:
    the request went out but no answer came back (a time-out), so it may have arrived."""

    def __init__(
        self,
        problem: str,
        retry_after: float | None = None,
        *,
        rate_limited: bool = False,
        maybe_sent: bool = False,
    ) -> None:
        super().__init__(problem)
        self.retry_after = retry_after
        self.rate_limited = rate_limited
        self.maybe_sent = maybe_sent


class UndeliverableError(HeatshieldError):
    """The platform refused the message for good (a deleted channel, a revoked token)."""


class OverloadedError(HeatshieldError):
    """Too much is waiting to be stored; ask the platform to deliver it again later."""

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__(f"overloaded; retry after {retry_after} s")
        self.retry_after = retry_after
