"""The ack path's promise, for the platforms' tests: an event is stored and answered without
the database the handling uses (its transactions and reads raise here)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.runtime.app import Runtime


@contextlib.asynccontextmanager
async def _unusable() -> AsyncIterator[None]:
    raise AssertionError("the ack path used the handling's database")
    yield  # pragma: no cover


@contextlib.contextmanager
def handling_database_unusable(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with monkeypatch.context() as patched:
        patched.setattr(runtime.db, "transaction", _unusable)
        patched.setattr(runtime.db, "read", _unusable)
        yield
