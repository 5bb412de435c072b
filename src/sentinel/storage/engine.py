"""Engine and session factory for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from sentinel.storage import commit_order
from sentinel.storage.write_gate import WriteGate, hold, install


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the single writer; NORMAL sync is durable in WAL mode
    # across process crashes (only an OS crash can lose the last transactions).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def build_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """Create the async engine with the dialect's settings; called only by factories."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        ensure_sqlite_dir(url)
        engine = create_async_engine(url, connect_args={"timeout": 10})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
    )
    # Inserts into the tables workers follow by id take their commit-order lock.
    commit_order.install(engine)
    return engine


class Database:
    """The one handle to the store that the app factory builds and hands down."""

    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = url
        self.engine = build_engine(url, pool_size)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite: one write transaction at a time in this process (see write_gate.py).
        self.write_gate = WriteGate(exclusive=self.engine.dialect.name == "sqlite")
        if self.write_gate.exclusive:
            install(self.engine, self.write_gate)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: commits on success, rolls back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def write_transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction that holds the write gate from its first statement to its end.

        For a read-modify-write that must see no other write of this process in between,
        and for inserts through the driver's own executemany (which the gate cannot see).
        Any other transaction takes the gate by itself at its first write."""
        async with self.sessions() as session, session.begin():
            await hold(session)
            yield session

    async def ping(self) -> float:
        """Round-trip to the database; returns the latency in milliseconds."""
        started = time.perf_counter()
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return (time.perf_counter() - started) * 1000

    async def dispose(self) -> None:
        await self.engine.dispose()
