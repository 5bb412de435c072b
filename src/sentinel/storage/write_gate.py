"""The process-wide SQLite write gate: one write transaction at a time, in arrival order.

SQLite has a single writer. Two connections of one process that both want to write meet
in SQLite's busy handler, which sleeps in steps of up to 100 ms and lets whoever asks at
the right moment win, so a stream of short worker transactions can starve an ingest
request for seconds. The gate makes every writer of the process queue instead: an asyncio
future each, served first come first served, no thread and no sleep.

When it is taken: lazily, by the first statement of a transaction that writes (INSERT,
UPDATE, DELETE, DDL …). That is exactly when SQLite takes its write lock, because the
driver begins a transaction only before such a statement; reads before it run on their
own and never wait here. It is given back when the connection returns to the pool, i.e.
after the commit or the rollback. So every write made through SQLAlchemy is gated without
its caller doing anything. Code that must hold the gate from the start (a read-modify-write
that must see no other write in between, or inserts through the driver's own executemany)
opens `Database.write_transaction()`, which takes the gate before the first statement.
`Database.sqlite_write()` takes it too, around writes that run whole on a connection's
thread (span ingest), and keeps it while calls that queued meanwhile are written.

A task that holds the gate through one connection and starts writing through another
would wait for itself (SQLite would answer "database is locked" after its busy timeout);
the gate says so at once with `NestedWriteError`.

PostgreSQL: row locks and MVCC do this job across replicas; the gate is not installed.
"""

from __future__ import annotations

import asyncio
import re
import time
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util import await_

_READS = frozenset({"SELECT", "PRAGMA", "EXPLAIN", "VALUES", "SAVEPOINT", "RELEASE"})
_DML = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_FIRST_WORD = re.compile(r"\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*([A-Za-z]+)", re.DOTALL)
_KNOWN: dict[str, bool] = {}


def writes(statement: str) -> bool:
    """Whether a statement takes SQLite's write lock (anything but a read; a WITH is a
    write when it holds an INSERT, UPDATE, DELETE or REPLACE)."""
    known = _KNOWN.get(statement)
    if known is not None:
        return known
    match = _FIRST_WORD.match(statement)
    word = match.group(1).upper() if match else ""
    if word == "WITH":
        verdict = _DML.search(statement) is not None
    elif word == "BEGIN":
        verdict = bool(re.match(r"\s*BEGIN\s+(IMMEDIATE|EXCLUSIVE)", statement, re.IGNORECASE))
    else:
        verdict = word not in _READS and word not in ("COMMIT", "END", "ROLLBACK")
    if len(_KNOWN) < 10_000:  # statements are few and repeat; parameters are not in them
        _KNOWN[statement] = verdict
    return verdict


class NestedWriteError(RuntimeError):
    """A task that holds the gate started a second write transaction on another
    connection: it would wait for itself."""


@dataclass
class _Waiter:
    connection: object
    task: asyncio.Task[Any] | None
    ready: asyncio.Future[None]


@dataclass
class GateStats:
    """What the gate has done since the process started (tests and diagnostics read it)."""

    turns: int = 0  # write transactions that held the gate
    ended: int = 0  # of them, how many have given it back (committed or rolled back)
    waited: int = 0  # of them, how many had to queue
    wait_seconds: float = 0.0  # their total time in the queue
    longest_queue: int = 0


class WriteGate:
    """First come, first served ownership of the database's single writer, held by one
    DB-API connection at a time. Disabled (every call returns at once) unless `exclusive`."""

    def __init__(self, *, exclusive: bool) -> None:
        self.exclusive = exclusive
        self._holder: object | None = None
        self._holder_task: asyncio.Task[Any] | None = None
        self._queue: deque[_Waiter] = deque()
        self.stats = GateStats()

    @property
    def busy(self) -> bool:
        return self._holder is not None

    @property
    def queued(self) -> int:
        return sum(1 for w in self._queue if not w.ready.done())

    def holds(self, connection: object) -> bool:
        return self._holder is connection

    def held_by_this_task(self) -> bool:
        task = asyncio.current_task()
        return self._holder is not None and task is not None and self._holder_task is task

    async def acquire(self, connection: object) -> None:
        """Wait until `connection` holds the gate (at once when it already does)."""
        if not self.exclusive or self._holder is connection:
            return
        task = asyncio.current_task()
        if self.held_by_this_task():
            raise NestedWriteError(
                "this task already has a write transaction open on another connection; "
                "commit it before writing through a second one (SQLite has one writer)"
            )
        self.stats.turns += 1
        if self._holder is None and not self._queue:
            self._grant(connection, task)
            return
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(connection, task, ready)
        self._queue.append(waiter)
        self.stats.longest_queue = max(self.stats.longest_queue, len(self._queue))
        started = time.monotonic()
        try:
            await ready
        except BaseException:
            # Granted just before the cancellation arrived: the connection holds the gate
            # and gives it back when it returns to the pool, as after any rollback.
            if not (ready.done() and not ready.cancelled()):
                ready.cancel()
                if waiter in self._queue:
                    self._queue.remove(waiter)
            raise
        finally:
            self.stats.waited += 1
            self.stats.wait_seconds += time.monotonic() - started

    def release(self, connection: object) -> None:
        """Give the gate back if `connection` holds it; the longest waiter gets it next."""
        if self._holder is not connection or connection is None:
            return
        self._holder = self._holder_task = None
        self.stats.ended += 1
        while self._queue:
            waiter = self._queue.popleft()
            if waiter.ready.done():  # cancelled while waiting
                continue
            self._grant(waiter.connection, waiter.task)
            waiter.ready.set_result(None)
            return

    def _grant(self, connection: object, task: asyncio.Task[Any] | None) -> None:
        self._holder, self._holder_task = connection, task


_GATES: weakref.WeakKeyDictionary[Engine, WriteGate] = weakref.WeakKeyDictionary()


async def hold(session: AsyncSession) -> None:
    """Make the session's transaction hold its database's write gate from now on, and on
    SQLite take the write lock at once (BEGIN IMMEDIATE), so what it reads next no other
    writer can change before it commits. A no-op on PostgreSQL and when held already.

    Needed before writing through the driver's own connection, which the gate cannot see."""
    connection = await session.connection()
    gate = _GATES.get(connection.sync_engine)
    if gate is None:
        return
    raw = await connection.get_raw_connection()
    if gate.holds(raw.dbapi_connection):
        return
    await gate.acquire(raw.dbapi_connection)
    # Not held yet means this transaction has not written yet, so the driver has not
    # begun it: begin it now, as a writer.
    await session.execute(text("BEGIN IMMEDIATE"))


def install(engine: AsyncEngine, gate: WriteGate) -> None:
    """Gate every writing statement this engine executes; release when a connection goes
    back to the pool (or leaves it)."""
    sync_engine = engine.sync_engine
    _GATES[sync_engine] = gate

    def before_cursor_execute(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        dbapi_connection = conn.connection.dbapi_connection
        if gate.holds(dbapi_connection) or not writes(statement):
            return
        # Runs inside SQLAlchemy's greenlet: await_ suspends this statement (not the
        # event loop) until the gate is ours.
        await_(gate.acquire(dbapi_connection))

    def give_back(dbapi_connection: Any, *_args: Any) -> None:
        gate.release(dbapi_connection)

    event.listen(sync_engine, "before_cursor_execute", before_cursor_execute)
    for name in ("checkin", "detach", "invalidate", "soft_invalidate", "close"):
        event.listen(sync_engine, name, give_back)
    event.listen(sync_engine, "close_detached", give_back)
