"""What the commands share: settings or a clear exit, logging, and running against the database."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from bot.kernel.errors import HeatshieldError
from bot.kernel.settings import Settings, load_settings

T = TypeVar("T")


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except HeatshieldError as exc:
        raise click.ClickException(f"Configuration error: {exc}") from exc


def run(coroutine_factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coroutine_factory()

    try:
        return asyncio.run(main())
    except HeatshieldError as exc:
        raise click.ClickException(str(exc)) from exc


def with_runtime(action: Callable[[Any], Awaitable[T]]) -> T:
    """Run an action that opens its own transactions, against the configured database."""
    from bot.runtime.app import build_runtime, prepare

    settings = settings_or_exit()

    async def go() -> T:
        runtime = build_runtime(settings)
        try:
            await prepare(runtime)
            return await action(runtime)
        finally:
            await runtime.services.triage.close()
            await runtime.store_engine.dispose()
            await runtime.engine.dispose()

    return run(go)


def with_database(action: Callable[[Any, Any], Awaitable[T]]) -> T:
    """Run one transaction against the configured (and upgraded) database."""

    async def in_transaction(runtime: Any) -> T:
        async with runtime.db.transaction() as uow:
            return await action(uow, runtime)

    return with_runtime(in_transaction)
