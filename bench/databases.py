"""Throw-away PostgreSQL databases for the benchmarks: made on a server, dropped afterwards."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import create_engine


async def create_database(server: str, name: str, *, replace: bool = True) -> str:
    """Create the database `name` on the server (the URL of any database there) and return
    its URL. An existing one is dropped first, or refused when `replace` is false."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if exists and not replace:
                raise SystemExit(f"database {name} exists already: name a new one")
            if exists:
                await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


async def drop_database(server: str, name: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()
