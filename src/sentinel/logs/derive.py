"""Derived work that trails ingest: the full-text index and pattern mining.

Ingest only inserts raw rows. This follows them by id from a cursor row, in batches, as
Elasticsearch's refresh does: each batch mines the Drain pattern of every record, sets
its pattern_id, adds it to the SQLite FTS5 index (PostgreSQL's GIN index needs no
help), bumps the per-minute pattern volume and moves the cursor, all in one
transaction. A crash loses nothing: the next run starts again after the cursor.

The Drain tree lives in memory. The cursor row's `version` changes with each batch; a
process whose miner is not at that version (another replica ran the last batch, or a
batch rolled back) reloads the templates from log_patterns first.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.ingest.otlp.protocol import WriteGate
from sentinel.logs.drain import Drain
from sentinel.logs.models import LogDeriveCursor, LogPattern
from sentinel.logs.runtime import sqlite_write_gate
from sentinel.logs.severity import ERROR_NUMBER
from sentinel.logs.writer import driver_connection
from sentinel.storage.dialect import dialect_name, upsert_insert
from sentinel.storage.engine import Database

CURSOR = "derive"
BATCH_ROWS = 5_000
MAX_SERVICES_PER_PATTERN = 50
MAX_EXAMPLE_CHARS = 2_000
# PostgreSQL hands out ids before commit, so a slow transaction can commit ids below
# ones already visible. Rows are taken only up to the highest id seen this long ago.
PG_SETTLE_SECONDS = 2.0
MINUTE_NS = 60 * 10**9


@dataclass
class PatternStats:
    count: int = 0
    error_count: int = 0
    first_seen_ns: int = 0
    last_seen_ns: int = 0
    example: str = ""
    services: list[str] = field(default_factory=list)
    max_severity: int = 0


@dataclass
class Miner:
    """The in-memory side of pattern mining, rebuilt from the database when stale."""

    drain: Drain = field(default_factory=Drain)
    stats: dict[int, PatternStats] = field(default_factory=dict)
    version: int | None = None
    settle_seconds: float = PG_SETTLE_SECONDS
    _max_ids: deque[tuple[float, int]] = field(default_factory=deque)

    async def reload(self, session: AsyncSession) -> None:
        self.drain = Drain()
        self.stats = {}
        rows = (await session.execute(select(LogPattern).order_by(LogPattern.id))).scalars()
        for p in rows:
            self.drain.restore(p.id, p.template, p.count)
            self.stats[p.id] = PatternStats(
                p.count,
                p.error_count,
                p.first_seen_ns,
                p.last_seen_ns,
                p.example,
                list(orjson.loads(p.services)),
                p.max_severity,
            )

    def safe_upper(self, max_id: int, postgres: bool) -> int:
        if not postgres or self.settle_seconds <= 0:
            return max_id
        now = time.monotonic()
        self._max_ids.append((now, max_id))
        settled = 0
        while self._max_ids and now - self._max_ids[0][0] >= self.settle_seconds:
            settled = self._max_ids.popleft()[1]
        if settled:
            # Keep the newest settled sample for the next call.
            self._max_ids.appendleft((now - self.settle_seconds, settled))
        return settled


@dataclass
class DeriveResult:
    rows: int
    last_id: int


async def _cursor(session: AsyncSession) -> LogDeriveCursor:
    insert = upsert_insert(session, LogDeriveCursor).values(
        name=CURSOR, last_id=0, version=0, updated_ns=0
    )
    await session.execute(insert.on_conflict_do_nothing())
    stmt = select(LogDeriveCursor).where(LogDeriveCursor.name == CURSOR).with_for_update()
    cursor: LogDeriveCursor = (await session.execute(stmt)).scalar_one()
    return cursor


async def derive_batch(
    session: AsyncSession, miner: Miner, limit: int = BATCH_ROWS
) -> DeriveResult:
    """Index and mine the next batch of records after the cursor, in the session's
    transaction. The caller commits, then sets `miner.version` from the result."""
    postgres = dialect_name(session) == "postgresql"
    cursor = await _cursor(session)
    if miner.version != cursor.version:
        await miner.reload(session)
    max_id = (await session.execute(text("SELECT max(id) FROM log_records"))).scalar() or 0
    upper = miner.safe_upper(int(max_id), postgres)
    if upper <= cursor.last_id:
        return DeriveResult(0, cursor.last_id)
    rows = (
        await session.execute(
            text(
                "SELECT id, time_ns, service, severity_number, body FROM log_records "
                "WHERE id > :after AND id <= :upper ORDER BY id LIMIT :limit"
            ),
            {"after": cursor.last_id, "upper": upper, "limit": limit},
        )
    ).all()
    if not rows:
        return DeriveResult(0, cursor.last_id)
    # Mining is CPU work: a thread lets the event loop serve requests in between.
    assignments, minutes, dirty = await asyncio.to_thread(_mine, miner, rows)
    last_id = int(rows[-1][0])
    driver = await driver_connection(session)
    if postgres:
        await driver.executemany(
            "UPDATE log_records SET pattern_id = $1 WHERE id = $2", assignments
        )
    else:
        await driver.executemany("UPDATE log_records SET pattern_id = ? WHERE id = ?", assignments)
        await session.execute(
            text(
                "INSERT INTO log_fts(rowid, body) SELECT id, body FROM log_records "
                "WHERE id > :after AND id <= :last"
            ),
            {"after": cursor.last_id, "last": last_id},
        )
    await _save_patterns(session, miner, dirty)
    await _save_minutes(session, minutes)
    cursor.last_id = last_id
    cursor.version += 1
    cursor.updated_ns = time.time_ns()
    await session.flush()
    return DeriveResult(len(rows), last_id)


def _mine(
    miner: Miner, rows: Any
) -> tuple[list[tuple[int, int]], dict[tuple[int, int, str], list[int]], set[int]]:
    add = miner.drain.add
    stats = miner.stats
    assignments: list[tuple[int, int]] = []
    minutes: dict[tuple[int, int, str], list[int]] = {}
    dirty: set[int] = set()
    for record_id, time_ns, service, number, body in rows:
        cluster, _changed = add(body)
        pid = cluster.id
        assignments.append((pid, record_id))
        dirty.add(pid)
        is_error = number >= ERROR_NUMBER
        s = stats.get(pid)
        if s is None:
            s = stats[pid] = PatternStats(
                first_seen_ns=time_ns, last_seen_ns=time_ns, example=body[:MAX_EXAMPLE_CHARS]
            )
        s.count += 1
        s.error_count += is_error
        if time_ns < s.first_seen_ns:
            s.first_seen_ns = time_ns
        if time_ns > s.last_seen_ns:
            s.last_seen_ns = time_ns
        if number > s.max_severity:
            s.max_severity = number
        if service not in s.services and len(s.services) < MAX_SERVICES_PER_PATTERN:
            s.services.append(service)
        key = (time_ns // MINUTE_NS, pid, service)
        slot = minutes.get(key)
        if slot is None:
            minutes[key] = [1, int(is_error)]
        else:
            slot[0] += 1
            slot[1] += is_error
    return assignments, minutes, dirty


async def _save_patterns(session: AsyncSession, miner: Miner, dirty: set[int]) -> None:
    values = []
    for pid in sorted(dirty):
        s = miner.stats[pid]
        values.append(
            {
                "id": pid,
                "template": miner.drain.clusters[pid].template,
                "count": s.count,
                "error_count": s.error_count,
                "first_seen_ns": s.first_seen_ns,
                "last_seen_ns": s.last_seen_ns,
                "example": s.example,
                "services": orjson.dumps(s.services).decode(),
                "max_severity": s.max_severity,
            }
        )
    if not values:
        return
    insert = upsert_insert(session, LogPattern)
    columns = ("template", "count", "error_count", "first_seen_ns", "last_seen_ns")
    update = {c: insert.excluded[c] for c in (*columns, "services", "max_severity")}
    await session.execute(insert.on_conflict_do_update(index_elements=["id"], set_=update), values)


async def _save_minutes(
    session: AsyncSession, minutes: dict[tuple[int, int, str], list[int]]
) -> None:
    if not minutes:
        return
    await session.execute(
        text(
            "INSERT INTO log_pattern_minutes (minute, pattern_id, service, count, error_count) "
            "VALUES (:minute, :pattern_id, :service, :count, :error_count) "
            "ON CONFLICT (minute, pattern_id, service) DO UPDATE SET "
            "count = log_pattern_minutes.count + excluded.count, "
            "error_count = log_pattern_minutes.error_count + excluded.error_count"
        ),
        [
            {"minute": m, "pattern_id": p, "service": s, "count": c, "error_count": e}
            for (m, p, s), (c, e) in minutes.items()
        ],
    )


async def derive_pending(db: Database, miner: Miner, budget_seconds: float = 5.0) -> int:
    """Run batches, each in its own short transaction, until caught up or out of time
    (short transactions keep SQLite's single write lock free for ingest)."""
    deadline = time.monotonic() + budget_seconds
    total = 0
    gate = sqlite_write_gate(db.url) if db.dialect == "sqlite" else None
    while True:
        try:
            async with _writing(gate), db.transaction() as session:
                result = await derive_batch(session, miner)
                version = (
                    await session.execute(
                        select(LogDeriveCursor.version).where(LogDeriveCursor.name == CURSOR)
                    )
                ).scalar_one()
        except BaseException:
            miner.version = None  # the tree may hold lines the database does not
            raise
        # Only a committed batch leaves the miner in step with the database.
        miner.version = version
        total += result.rows
        if result.rows < BATCH_ROWS or time.monotonic() >= deadline:
            return total
        await asyncio.sleep(0)  # let ingest requests in between batches


def _writing(gate: WriteGate | None) -> Any:
    return gate.writing() if gate is not None else contextlib.nullcontext()


async def freshness(session: AsyncSession) -> dict[str, Any]:
    """How far the index and the patterns have got, for search responses."""
    cursor = (
        await session.execute(select(LogDeriveCursor).where(LogDeriveCursor.name == CURSOR))
    ).scalar_one_or_none()
    last = cursor.last_id if cursor else 0
    pending = (
        await session.execute(
            text("SELECT count(*) FROM log_records WHERE id > :last"), {"last": last}
        )
    ).scalar_one()
    return {
        "indexed_through_id": last,
        "pending_records": int(pending),
        "updated_ns": cursor.updated_ns if cursor else None,
    }
