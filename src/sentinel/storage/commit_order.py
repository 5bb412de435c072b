"""Following an append-only table by id on PostgreSQL without skipping late commits.

Several workers follow a table from a saved cursor: every row with an id above the
cursor is new. PostgreSQL hands ids out when a row is inserted, not when its transaction
commits, so a slow transaction can make id 100 visible after 101 is visible and already
passed; guessing from the age of a gap ("older than N seconds is a rollback") loses the
row whenever a commit takes longer than N (an fsync stall, a lock wait).

The barrier here is exact:
- A writer of a followed table takes `pg_advisory_xact_lock_shared(namespace, table)`
  before its first insert into it, in the inserting transaction: one cheap statement per
  transaction (writers never wait for each other: shared locks do not conflict). Inserts
  through SQLAlchemy take it by themselves (`install`, a hook on the engine); raw driver
  writers call `writing` first.
- A reader calls `visible_high_water`: one statement reads `max(id)` and, after that
  statement's snapshot was taken, which other transactions hold the table's lock. Every
  id at or below that max belongs to a committed row, to a rolled-back insert, or to one
  of those transactions (an id is taken after its lock, and the lock is held to the end).
  Once none of them holds the lock any more, every id up to the max is final: the reader
  reads (cursor, max] and finds no gap it must guess about (a gap is a rollback).
The reader never takes a lock, so it never makes a writer wait: an exclusive request
would queue every later writer behind it (PostgreSQL grants heavyweight locks in
request order), turning one slow writer into a stall of all ingest.

Readers must run in READ COMMITTED (the default) and read the rows in a statement that
starts after `visible_high_water` returns. SQLite has one writer, so ids become visible
in order; there the high water is simply `max(id)`.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sqlalchemy import Insert, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

# The first key of every advisory lock taken here ("SENT"); the second is the table's.
NAMESPACE = 0x53454E54


class Followed(Enum):
    """The tables read by id from a cursor, with their advisory lock key."""

    ALERT_EVENTS = ("alert_events", 1)
    NOTIFICATION_ATTEMPTS = ("notify_attempts", 2)
    INCIDENT_ALERTS = ("incident_alerts", 3)
    LOG_RECORDS = ("log_records", 4)
    INCIDENT_TIMELINE = ("incident_timeline", 5)

    @property
    def table(self) -> str:
        return self.value[0]

    @property
    def key(self) -> int:
        return self.value[1]

    @property
    def lock_sql(self) -> str:
        """The writer's statement (PostgreSQL)."""
        return f"SELECT pg_advisory_xact_lock_shared({NAMESPACE}, {self.key})"


_BY_TABLE = {f.table: f for f in Followed}
_HELD = "sentinel_commit_order_held"  # Connection.info: (transaction, tables locked in it)

# Which other transactions hold the table's lock, read in the same statement as max(id)
# (so after its snapshot): the writers that may still commit an id at or below it.
# `mine` says the caller's own transaction holds it (it wrote the table itself).
_PROBE = """
SELECT (SELECT max(id) FROM {table}) AS high,
       array(SELECT l.virtualtransaction || '/' || coalesce(l.pid, 0)
             FROM pg_locks l
             WHERE l.locktype = 'advisory' AND l.classid = {namespace}
               AND l.objid = {key} AND l.objsubid = 2
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND l.pid IS DISTINCT FROM pg_backend_pid()) AS writers,
       EXISTS (SELECT 1 FROM pg_locks l
               WHERE l.locktype = 'advisory' AND l.classid = {namespace}
                 AND l.objid = {key} AND l.objsubid = 2
                 AND l.pid = pg_backend_pid()) AS mine
"""


def _lock_shared(conn: Connection, followed: Followed) -> None:
    """Take the table's shared lock in the connection's transaction, once per transaction."""
    held: tuple[Any, set[Followed]] | None = conn.info.get(_HELD)
    if held is not None and held[0] is conn.get_transaction() and followed in held[1]:
        return
    conn.exec_driver_sql(followed.lock_sql)
    transaction = conn.get_transaction()  # begun by the statement above if it was not
    if transaction is None:
        return  # autocommit: nothing lasts past the statement, nothing to remember
    if held is None or held[0] is not transaction:
        held = conn.info[_HELD] = (transaction, set())
    held[1].add(followed)


def install(engine: AsyncEngine) -> None:
    """PostgreSQL: every INSERT into a followed table through this engine takes the
    table's shared lock first (in its transaction). Raw driver writes are not seen: call
    `writing` before them."""
    if engine.dialect.name != "postgresql":
        return

    def before_execute(conn: Connection, clause: Any, *_args: Any) -> None:
        if isinstance(clause, Insert):
            followed = _BY_TABLE.get(getattr(clause.table, "name", ""))
            if followed is not None:
                _lock_shared(conn, followed)

    event.listen(engine.sync_engine, "before_execute", before_execute)


async def writing(session: AsyncSession, followed: Followed) -> None:
    """Before inserting into `followed` other than through SQLAlchemy (the driver's own
    executemany): take its shared lock in the session's transaction, beginning the
    transaction if need be. A no-op on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return
    connection = await session.connection()
    await connection.run_sync(_lock_shared, followed)


@dataclass
class _Progress:
    """What one process knows about a table: every id up to `confirmed` is final, and
    `pending` is a newer max whose in-flight writers had not all finished when read."""

    confirmed: int = 0
    pending: tuple[int, frozenset[str]] | None = None

    def observe(self, high: int, writers: frozenset[str]) -> None:
        if self.pending is not None and not (self.pending[1] & writers):
            self.confirmed = max(self.confirmed, self.pending[0])
            self.pending = None
        if not writers:
            self.confirmed, self.pending = max(self.confirmed, high), None
        elif self.pending is None:
            # An older pending is kept until it is confirmed, so calls more frequent than
            # the writers' transactions still make progress.
            self.pending = (high, writers)


@dataclass
class _Progresses:
    tables: dict[Followed, _Progress] = field(default_factory=dict)


_PROGRESS: weakref.WeakKeyDictionary[Engine, _Progresses] = weakref.WeakKeyDictionary()


def _engine(session: AsyncSession) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


async def visible_high_water(
    session: AsyncSession, followed: Followed, wait_seconds: float = 1.0
) -> int:
    """The highest id of `followed` such that every row with an id at or below it that
    will ever commit is visible to a statement the caller starts from now on (in the
    session's transaction, READ COMMITTED); 0 for an empty table.

    PostgreSQL: waits (polling, at most `wait_seconds`) for the transactions writing the
    table when it was read; with 0, or when they are still running at the deadline, the
    answer is the newest one this process has confirmed, which may be lower (never
    wrong: a caller reads less now and the rest on its next call)."""
    if session.get_bind().dialect.name != "postgresql":
        newest = await session.scalar(text(f"SELECT max(id) FROM {followed.table}"))  # noqa: S608
        return int(newest or 0)
    sql = text(_PROBE.format(table=followed.table, namespace=NAMESPACE, key=followed.key))
    deadline = time.monotonic() + wait_seconds
    delay = 0.001
    progress: _Progress | None = None
    while True:
        high, writers, mine = (await session.execute(sql)).one()
        high = int(high or 0)
        if progress is None:
            # The caller's own uncommitted rows are visible to it, not to others: what it
            # learns then is its own and is not shared with the other readers.
            shared = _PROGRESS.setdefault(_engine(session), _Progresses()).tables
            progress = _Progress() if mine else shared.setdefault(followed, _Progress())
        progress.observe(high, frozenset(writers))
        if progress.pending is None or time.monotonic() >= deadline:
            # min(): ids restart only when a table is truncated (tests), never below this.
            return min(progress.confirmed, high)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.02)
