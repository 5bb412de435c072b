"""Engine and session factory for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from sentinel.storage import commit_order
from sentinel.storage.checkpointer import WalCheckpointer
from sentinel.storage.write_gate import WriteGate, hold, install

T = TypeVar("T")
SWITCH_INTERVAL = 0.001  # seconds; see build_engine


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
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


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


RUN_LIMIT = 16  # calls written in one turn at the write gate (see Database.sqlite_write)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # its caller was cancelled; the write stands, as any committed one
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _write_run(
    connection: sqlite3.Connection,
    fn: Callable[..., Any],
    waiting: queue.SimpleQueue[tuple[tuple[Any, ...], asyncio.Future[Any]]],
    loop: asyncio.AbstractEventLoop,
) -> None:
    """On the connection's thread: each waiting call in its own transaction, its caller
    answered as soon as it is committed (or rolled back)."""
    for _ in range(RUN_LIMIT):
        try:
            args, future = waiting.get_nowait()
        except queue.Empty:
            return
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = fn(connection, *args)
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
        except BaseException as exc:
            loop.call_soon_threadsafe(_settle, future, None, exc)
            if not isinstance(exc, Exception):
                raise
        else:
            loop.call_soon_threadsafe(_settle, future, result, None)


class _SerialWrites:
    """The calls of one function waiting for `Database.sqlite_write`, and the task that
    writes them. Only the event loop's thread adds calls and starts or ends the task, so
    a call added while a run is being written is either taken by that run or seen by the
    task when the run returns."""

    def __init__(self, db: Database, fn: Callable[..., Any]) -> None:
        self.db, self.fn = db, fn
        self.waiting: queue.SimpleQueue[tuple[tuple[Any, ...], asyncio.Future[Any]]] = (
            queue.SimpleQueue()
        )
        self.writer: asyncio.Task[None] | None = None

    async def submit(self, args: tuple[Any, ...]) -> Any:
        future = asyncio.get_running_loop().create_future()
        self.waiting.put((args, future))
        if self.writer is None:
            self.writer = asyncio.create_task(self._write())
        return await future

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while not self.waiting.empty():
                async with self.db.engine.connect() as connection:
                    raw = await connection.get_raw_connection()
                    await self.db.write_gate.acquire(raw.dbapi_connection)
                    driver: Any = raw.driver_connection  # aiosqlite.Connection
                    await driver._execute(_write_run, driver._conn, self.fn, self.waiting, loop)
        except BaseException as exc:  # no connection, or cancelled: fail who waits
            while not self.waiting.empty():
                _args, future = self.waiting.get_nowait()
                _settle(
                    future,
                    None,
                    exc
                    if isinstance(exc, Exception)
                    else RuntimeError("the database writer stopped"),
                )
            if not isinstance(exc, Exception):
                raise
        finally:
            self.writer = None


def _rollback_if_open(dbapi_connection: Any, _record: Any, state: Any) -> None:
    """The pool's reset on return, minus the rollback of a connection with no transaction
    open (after a commit): on aiosqlite each rollback is a trip to the connection's thread
    and back through the event loop, made while the write gate is still held."""
    if not state.asyncio_safe or state.transaction_was_reset:
        return
    try:
        open_transaction = bool(dbapi_connection.driver_connection._conn.in_transaction)
    except Exception:  # closed, or not aiosqlite: roll back as the pool would
        open_transaction = True
    if open_transaction:
        dbapi_connection.rollback()


def ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def sqlite_path(url: str) -> str:
    """The absolute path of a SQLite URL's file (for another process to open it)."""
    return str(Path(make_url(url).database or "").resolve())


def build_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """Create the async engine with the dialect's settings; called only by factories."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        ensure_sqlite_dir(url)
        # The pool's rollback on return is done by _rollback_if_open, only when needed.
        engine = create_async_engine(url, connect_args={"timeout": 10}, pool_reset_on_return=None)
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        event.listen(engine.sync_engine, "reset", _rollback_if_open)
        # aiosqlite runs statements on a thread per connection, which takes the GIL back
        # after every row it steps; while the event loop thread runs Python (decoding the
        # next request), each take waits up to the switch interval, 5 ms by default, so a
        # 1,000-row executemany stretched to several times its length. 1 ms bounds that.
        if sys.getswitchinterval() > SWITCH_INTERVAL:
            sys.setswitchinterval(SWITCH_INTERVAL)
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
        self._runs: dict[Callable[..., Any], _SerialWrites] = {}
        self.checkpointer: WalCheckpointer | None = None

    async def checkpoint_aside(self, every_seconds: float) -> None:
        """SQLite file: from now on a thread checkpoints the WAL beside the writers, at most
        every `every_seconds` after a write ended, and no commit of this process does it
        in its writer's turn (storage/checkpointer.py). Every other process writing to
        the file must turn its automatic checkpoint off too (the ingest pool's do)."""
        if self.checkpointer is not None:
            return
        stats = self.write_gate.stats
        self.checkpointer = WalCheckpointer(
            sqlite_path(self.url), every_seconds, lambda: stats.ended
        )
        self.checkpointer.start()
        event.listen(self.engine.sync_engine, "connect", _no_autocheckpoint)
        await self.engine.dispose()  # pooled connections come back with it

    async def sqlite_write(self, fn: Callable[..., T], *args: Any) -> T:
        """SQLite: run `fn(connection, *args)` as one write transaction on a pooled
        connection's own thread (BEGIN IMMEDIATE, fn, COMMIT; ROLLBACK if it raises),
        holding the write gate; returns its result once committed, or raises its error.

        One hand-over to aiosqlite's thread instead of one per statement, cursor and
        fetch, and calls of the same `fn` that wait meanwhile run back to back on that
        thread (each its own transaction), up to RUN_LIMIT before the gate is given back:
        each hand-over through the event loop waits until the loop has finished what it
        is doing (under load, decoding the next requests) while the single writer idles.
        `fn` runs off the event loop: it must not touch asyncio or SQLAlchemy."""
        if self.dialect != "sqlite":
            raise RuntimeError("sqlite_write is for SQLite; use write_transaction()")
        run = self._runs.get(fn)
        if run is None:
            run = self._runs[fn] = _SerialWrites(self, fn)
        result: T = await run.submit(args)
        return result

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
        if self.checkpointer is not None:  # its last round checkpoints the last writes
            await asyncio.to_thread(self.checkpointer.stop)
            self.checkpointer = None
        await self.engine.dispose()
