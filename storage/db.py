"""Engine and session factory, one codebase for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


# Held until the transaction ends, by every replica that asks for the same name.
ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:name))")


def hold_exclusively(connection: Connection, name: str) -> None:
    """Make other replicas wait for this transaction before doing the same thing (migrating,
    creating first-start data). On SQLite every write transaction holds the one writer lock
    from its start (BEGIN IMMEDIATE), which does the same."""
    if connection.dialect.name == "postgresql":
        connection.execute(ADVISORY_LOCK, {"name": name})


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL and a busy timeout so readers and one writer coexist."""
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(url, **{"pool_pre_ping": True, **kwargs})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling sends no BEGIN before a SAVEPOINT, so a savepoint
    # would commit on release: switch it off and begin transactions ourselves (_sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """WAL mode, kept in the file. Connections switching a new file at the same moment (replicas
    starting together) get "locked" at once, not after the busy timeout: try again briefly.
    It blocks the loop for as long, but only on a file's first connections."""
    for attempt in range(WAL_TRIES):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as exc:  # the driver's OperationalError, as the adapter raises it
            if "locked" not in str(exc) or attempt == WAL_TRIES - 1:
                raise
            time.sleep(0.05)


WAL_TRIES = 100
READ_ONLY = "heatshield_read_only"


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock at the start, so two writers wait for each other (busy
    # timeout) instead of one failing on a snapshot that went stale. A read-only unit (see
    # Database.read) begins DEFERRED: with WAL it never waits for, nor holds up, a writer.
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN DEFERRED")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def dialect_name(session: AsyncSession) -> str:
    return str(session.get_bind().dialect.name)


def dialect_insert(session: AsyncSession) -> Any:
    """The INSERT with ON CONFLICT (skip, or update) for the session's database."""
    return postgresql_insert if dialect_name(session) == "postgresql" else sqlite_insert


class WriterLock:
    """One SQLite writer at a time in this process, waiting in line here rather than in
    SQLite's busy handler (which sleeps up to 100 ms between tries, however soon the lock is
    free). Urgent writers (storing inbound events before their ack) go first."""

    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._others: deque[asyncio.Future[None]] = deque()

    @asynccontextmanager
    async def hold(self, *, urgent: bool = False) -> AsyncIterator[None]:
        if self._held or self._urgent or self._others:
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            (self._urgent if urgent else self._others).append(turn)
            try:
                await turn
            except BaseException:
                if turn.done() and not turn.cancelled():
                    self._release()  # handed over just as the waiter was cancelled
                else:
                    self._forget(turn)
                raise
        else:
            self._held = True
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        for line in (self._urgent, self._others):
            while line:
                turn = line.popleft()
                if not turn.done():
                    turn.set_result(None)  # the lock passes on, still held
                    return
        self._held = False

    def _forget(self, turn: asyncio.Future[None]) -> None:
        for line in (self._urgent, self._others):
            if turn in line:
                line.remove(turn)


_writers: dict[tuple[str, int], WriterLock] = {}


def writer_lock(url: str) -> WriterLock | None:
    """The process's writer lock for an SQLite file (None for other databases)."""
    if not is_sqlite(url):
        return None
    key = (make_url(url).database or "", id(asyncio.get_running_loop()))
    lock = _writers.get(key)
    if lock is None:
        lock = _writers[key] = WriterLock()
    return lock
