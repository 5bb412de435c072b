"""Derived work that trails ingest: the full-text index, pattern mining, trace refs.

Ingest only inserts raw rows. This follows them by id from a cursor row, in batches, as
Elasticsearch's refresh does: each batch mines the Drain pattern of every record, sets
its pattern_id, adds it to the SQLite FTS5 index (PostgreSQL's GIN index needs no
help), bumps the per-minute pattern volume, notes where each trace's lines are
(trace_refs.py) and moves the cursor, all in one transaction. A crash loses nothing:
the next run starts again after the cursor.

The Drain tree lives in memory. The cursor row's `version` changes with each batch; a
process whose miner is not at that version (another replica ran the last batch, or a
batch rolled back) reloads the templates from log_patterns first.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.logs import derive_sqlite
from sentinel.logs.drain import Drain
from sentinel.logs.models import DERIVE_CURSOR, LogDeriveCursor
from sentinel.logs.severity import ERROR_NUMBER
from sentinel.storage.commit_order import Followed, visible_high_water
from sentinel.storage.dialect import dialect_name, upsert_insert
from sentinel.storage.engine import Database

CURSOR = DERIVE_CURSOR
BATCH_ROWS = 10_000
# A batch's ids span at most this many times its row limit (see _plan).
SPAN_ROWS = 2
MAX_SERVICES_PER_PATTERN = 50
MAX_EXAMPLE_CHARS = 2_000
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
    # One batch at a time per miner: a batch mines before it takes the write gate.
    busy: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def reload(self, session: AsyncSession) -> None:
        self.restore((await session.execute(text(RELOAD))).all())

    def restore(self, patterns: Iterable[Sequence[Any]]) -> None:
        """Start again from the stored patterns (RELOAD's rows)."""
        self.drain = Drain()
        self.stats = {}
        for (
            pid,
            template,
            count,
            errors,
            first_ns,
            last_ns,
            example,
            services,
            severity,
        ) in patterns:
            self.drain.restore(pid, template, count)
            self.stats[pid] = PatternStats(
                count, errors, first_ns, last_ns, example, list(orjson.loads(services)), severity
            )


class CursorMoved(Exception):
    """Another process derived the batch first: the mined one is dropped."""


@dataclass
class DeriveResult:
    rows: int
    last_id: int
    version: int  # the cursor's version the miner is at once this batch committed


async def _cursor(session: AsyncSession) -> LogDeriveCursor:
    """The cursor row, locked for this transaction (inserted the first time only)."""
    stmt = select(LogDeriveCursor).where(LogDeriveCursor.name == CURSOR).with_for_update()
    cursor: LogDeriveCursor | None = (await session.execute(stmt)).scalar_one_or_none()
    if cursor is None:
        insert = upsert_insert(session, LogDeriveCursor).values(
            name=CURSOR, last_id=0, version=0, updated_ns=0
        )
        await session.execute(insert.on_conflict_do_nothing())
        cursor = (await session.execute(stmt)).scalar_one()
    return cursor


async def behind(db: Database) -> bool:
    """Whether any record is past the cursor: a read, so an idle tick writes nothing."""
    async with db.transaction() as session:
        behind = await session.scalar(
            text(
                "SELECT coalesce((SELECT max(id) FROM log_records), 0) > coalesce("
                "(SELECT last_id FROM log_derive_cursor WHERE name = :name), 0)"
            ),
            {"name": CURSOR},
        )
    return bool(behind)


async def _driver(session: AsyncSession) -> Any:
    """The DB-API driver's connection under the session's transaction, which a statement
    through SQLAlchemy has opened already (writer.driver_connection opens it with one
    more statement)."""
    connection = await session.connection()
    return (await connection.get_raw_connection()).driver_connection


@dataclass
class Plan:
    """A mined batch, ready to write: the records after the cursor as it was read."""

    after: int
    version: int
    rows: int
    first_id: int
    last_id: int
    # The pattern of line first_id + i at [i]; None where no line has that id.
    pattern_ids: list[int | None]
    minutes: dict[tuple[int, int, str], list[int]]
    dirty: set[int]


async def _plan(
    session: AsyncSession, miner: Miner, after: int, version: int, limit: int
) -> Plan | None:
    """Read the records after `after` and mine them (the miner's tree and stats change);
    None when there is nothing to do yet."""
    if miner.version != version:
        await miner.reload(session)
    # PostgreSQL takes ids before commit: read only up to where every id is final.
    upper = await visible_high_water(session, Followed.LOG_RECORDS)
    if upper <= after:
        return None
    rows = bounded(await _read_batch(session, after, upper, limit), limit)
    if not rows:
        return None
    # Mining is CPU work: a thread lets the event loop serve requests in between.
    return plan_of(after, version, rows, await asyncio.to_thread(mine_batch, miner, rows))


def bounded(rows: list[Any], limit: int) -> list[Any]:
    """The rows a batch takes: when ids are missing in the middle (deleted lines), it
    stops before the span of ids its pattern list covers grows past a bound."""
    if rows and rows[-1][0] - rows[0][0] >= SPAN_ROWS * limit:
        return rows[: bisect.bisect_left(rows, rows[0][0] + SPAN_ROWS * limit, key=itemgetter(0))]
    return rows


def plan_of(
    after: int,
    version: int,
    rows: list[Any],
    mined: tuple[list[int | None], dict[tuple[int, int, str], list[int]], set[int]],
) -> Plan:
    pattern_ids, minutes, dirty = mined
    first_id, last_id = int(rows[0][0]), int(rows[-1][0])
    return Plan(after, version, len(rows), first_id, last_id, pattern_ids, minutes, dirty)


RELOAD = (
    "SELECT id, template, count, error_count, first_seen_ns, last_seen_ns, example, services, "
    "max_severity FROM log_patterns ORDER BY id"
)
_READ = (
    "SELECT id, time_ns, service, severity_number, body FROM log_records "
    "WHERE id > {0} AND id <= {1} ORDER BY id LIMIT {2}"
)
READ_SQLITE = _READ.format("?", "?", "?")
_READ_POSTGRES = _READ.format("$1", "$2", "$3")


async def _read_batch(session: AsyncSession, after: int, upper: int, limit: int) -> list[Any]:
    """(id, time_ns, service, severity_number, body) of the lines after `after`, as the
    driver's own rows (SQLAlchemy's rows would cost more than the reading)."""
    driver = await _driver(session)
    if dialect_name(session) == "postgresql":
        return list(await driver.fetch(_READ_POSTGRES, after, upper, limit))
    return list(await driver.execute_fetchall(READ_SQLITE, (after, upper, limit)))


async def _save_assignments(driver: Any, plan: Plan) -> None:
    """PostgreSQL: set each line's pattern_id in one statement, the patterns passed as
    two arrays (an UPDATE per line costs its binding and a statement step each)."""
    first = plan.first_id
    present = [(first + i, p) for i, p in enumerate(plan.pattern_ids) if p is not None]
    await driver.execute(
        "UPDATE log_records SET pattern_id = u.pattern_id "
        "FROM unnest($1::bigint[], $2::bigint[]) AS u(id, pattern_id) "
        "WHERE log_records.id = u.id",
        [i for i, _ in present],
        [p for _, p in present],
    )


# SQLite's statements (derive_sqlite.write_plan): every line's pattern, one statement;
ASSIGN_SQLITE = (
    "UPDATE log_records SET pattern_id = j.value FROM json_each(?) AS j "
    "WHERE log_records.id = ? + j.key AND j.value IS NOT NULL"
)
# the batch's lines into the FTS5 index (PostgreSQL's GIN index needs no help).
INDEX_TEXT_SQLITE = (
    "INSERT INTO log_fts(rowid, body) SELECT id, body FROM log_records WHERE id > ? AND id <= ?"
)


async def _apply(session: AsyncSession, miner: Miner, cursor: LogDeriveCursor, plan: Plan) -> None:
    """PostgreSQL: the batch's writes, through the driver (the cursor row is locked, so
    the transaction is open), a statement each. The GIN index and the trace id index are
    the database's own work."""
    driver = await _driver(session)
    await _save_assignments(driver, plan)
    if values := pattern_values(miner, plan.dirty):
        await driver.executemany(_PATTERN_UPSERT.format(_params(9, True)), values)
    if values := minute_values(plan.minutes):
        await driver.executemany(_MINUTES_UPSERT.format(_params(5, True)), values)
    cursor.last_id = plan.last_id
    cursor.version += 1
    cursor.updated_ns = time.time_ns()
    await session.flush()


async def derive_batch(
    session: AsyncSession, miner: Miner, limit: int = BATCH_ROWS
) -> DeriveResult:
    """PostgreSQL: mine the next batch of records after the cursor and write it, in the
    session's transaction, with the cursor row locked throughout (replicas take turns).
    The caller commits, then sets `miner.version` from the cursor. (SQLite writes with
    derive_sqlite.write_plan, in one call on the connection's thread.)"""
    cursor = await _cursor(session)
    plan = await _plan(session, miner, cursor.last_id, cursor.version, limit)
    if plan is None:
        return DeriveResult(0, cursor.last_id, cursor.version)
    await _apply(session, miner, cursor, plan)
    return DeriveResult(plan.rows, plan.last_id, cursor.version)


async def _derive_then_write(db: Database, miner: Miner, limit: int = BATCH_ROWS) -> DeriveResult:
    """SQLite: read and mine outside the write gate, then write in a short transaction
    that first checks the cursor has not moved (it cannot, short of a second process on
    the file), so ingest waits for the writes only, not for the mining."""
    async with db.transaction() as session:
        cursor = (
            await session.execute(select(LogDeriveCursor).where(LogDeriveCursor.name == CURSOR))
        ).scalar_one_or_none()
        after, version = (cursor.last_id, cursor.version) if cursor else (0, 0)
        plan = await _plan(session, miner, after, version, limit)
    if plan is None:
        return DeriveResult(0, after, version)
    return await db.sqlite_write(derive_sqlite.write_plan, miner, plan)


def mine_batch(
    miner: Miner, rows: Sequence[Sequence[Any]]
) -> tuple[list[int | None], dict[tuple[int, int, str], list[int]], set[int]]:
    """Mine the (id, time_ns, service, severity_number, body) rows of a batch, in id
    order: the pattern of each id (None for ids with no row), the batch's counts per
    (minute, pattern, service) as [count, error count, ...], and the patterns touched.
    The miner's tree and pattern stats take the batch in."""
    add = miner.drain.add
    first = rows[0][0]
    pattern_ids: list[int | None] = [None] * (rows[-1][0] - first + 1)
    # Per (minute, pattern, service): count, errors, first and last time, highest
    # severity, index of the first row. Lines fold into these few groups, which then
    # fold into the patterns' stats: less work per line than updating both.
    groups: dict[tuple[int, int, str], list[int]] = {}
    for i, (record_id, time_ns, service, number, body) in enumerate(rows):
        pid = add(body)[0].id
        pattern_ids[record_id - first] = pid
        key = (time_ns // MINUTE_NS, pid, service)
        group = groups.get(key)
        if group is None:
            groups[key] = [1, int(number >= ERROR_NUMBER), time_ns, time_ns, number, i]
            continue
        group[0] += 1
        if number >= ERROR_NUMBER:
            group[1] += 1
        if time_ns < group[2]:
            group[2] = time_ns
        elif time_ns > group[3]:
            group[3] = time_ns
        if number > group[4]:
            group[4] = number
    dirty = _fold_stats(miner.stats, rows, groups)
    return pattern_ids, groups, dirty


def _fold_stats(
    stats: dict[int, PatternStats],
    rows: Sequence[Sequence[Any]],
    groups: dict[tuple[int, int, str], list[int]],
) -> set[int]:
    """Add the batch's groups to the patterns' stats, in the order of their first lines
    (the dict's order), so services and a new pattern's example come out as if taken
    line by line."""
    dirty: set[int] = set()
    for (_minute, pid, service), group in groups.items():
        count, errors, first_ns, last_ns, severity, index = group
        dirty.add(pid)
        s = stats.get(pid)
        if s is None:
            s = stats[pid] = PatternStats(
                first_seen_ns=first_ns,
                last_seen_ns=last_ns,
                example=rows[index][4][:MAX_EXAMPLE_CHARS],
            )
        s.count += count
        s.error_count += errors
        if first_ns < s.first_seen_ns:
            s.first_seen_ns = first_ns
        if last_ns > s.last_seen_ns:
            s.last_seen_ns = last_ns
        if severity > s.max_severity:
            s.max_severity = severity
        if service not in s.services and len(s.services) < MAX_SERVICES_PER_PATTERN:
            s.services.append(service)
    return dirty


def _params(count: int, postgres: bool) -> str:
    return ", ".join(f"${i}" if postgres else "?" for i in range(1, count + 1))


_PATTERN_COLUMNS = (
    "id, template, count, error_count, first_seen_ns, last_seen_ns, example, services, max_severity"
)
_PATTERN_UPSERT = (
    f"INSERT INTO log_patterns ({_PATTERN_COLUMNS}) VALUES ({{}}) "  # noqa: S608
    "ON CONFLICT (id) DO UPDATE SET template = excluded.template, count = excluded.count, "
    "error_count = excluded.error_count, first_seen_ns = excluded.first_seen_ns, "
    "last_seen_ns = excluded.last_seen_ns, services = excluded.services, "
    "max_severity = excluded.max_severity"
)
_MINUTES_UPSERT = (
    "INSERT INTO log_pattern_minutes (minute, pattern_id, service, count, error_count) "
    "VALUES ({}) ON CONFLICT (minute, pattern_id, service) DO UPDATE SET "
    "count = log_pattern_minutes.count + excluded.count, "
    "error_count = log_pattern_minutes.error_count + excluded.error_count"
)


def pattern_values(miner: Miner, dirty: set[int]) -> list[tuple[Any, ...]]:
    """The touched patterns' template and stats as they now stand (the example is the
    first line's, written once): PATTERN_UPSERT's parameters."""
    values = []
    for pid in sorted(dirty):
        s = miner.stats[pid]
        values.append(
            (
                pid,
                miner.drain.clusters[pid].template,
                s.count,
                s.error_count,
                s.first_seen_ns,
                s.last_seen_ns,
                s.example,
                orjson.dumps(s.services).decode(),
                s.max_severity,
            )
        )
    return values


def minute_values(minutes: dict[tuple[int, int, str], list[int]]) -> list[tuple[Any, ...]]:
    """The batch's counts for the per-minute pattern volume: MINUTES_UPSERT's parameters."""
    return [(m, p, s, g[0], g[1]) for (m, p, s), g in minutes.items()]


PATTERN_UPSERT_SQLITE = _PATTERN_UPSERT.format(_params(9, False))
MINUTES_UPSERT_SQLITE = _MINUTES_UPSERT.format(_params(5, False))


async def derive_pending(db: Database, miner: Miner, budget_seconds: float = 5.0) -> int:
    """Run batches, each in its own short transaction, until caught up or out of time
    (short transactions keep SQLite's single write lock free for ingest)."""
    async with miner.busy:
        return await _derive_until(db, miner, time.monotonic() + budget_seconds)


async def _derive_until(db: Database, miner: Miner, deadline: float) -> int:
    total = 0
    if not await behind(db):
        return total
    # Past a full batch there is more to do, most likely: the next batch finds out.
    while True:
        try:
            if db.dialect == "sqlite":
                result = await _derive_then_write(db, miner)
            else:
                async with db.write_transaction() as session:
                    result = await derive_batch(session, miner)
        except CursorMoved:
            miner.version = None  # mined lines another process has written: reload
            if time.monotonic() >= deadline:
                return total
            continue
        except BaseException:
            miner.version = None  # the tree may hold lines the database does not
            raise
        # Only a committed batch leaves the miner in step with the database.
        miner.version = result.version
        total += result.rows
        if result.rows < BATCH_ROWS or time.monotonic() >= deadline:
            return total
        await asyncio.sleep(0)  # let ingest requests in between batches


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
