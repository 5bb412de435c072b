"""The derive worker's SQLite side (derive.py) as plain sqlite3 calls on one connection.

`write_plan` is a mined batch's whole write: one call on the connection's thread in the
serving process (Database.sqlite_write), or in an ingest process (ingest/pool.py), which
also reads and mines the batch there (`read_plan`) with a miner of its own, beside the
serving process and its GIL. Either way the batch is written only if the cursor is still
where the batch was read from.
"""

from __future__ import annotations

import sqlite3
import time

import orjson

from sentinel.logs import derive, trace_refs

_CURSOR = "SELECT last_id, version FROM log_derive_cursor WHERE name = ?"
_NEW_CURSOR = (
    "INSERT INTO log_derive_cursor (name, last_id, version, updated_ns) VALUES (?, 0, 0, 0)"
)
_MOVE_CURSOR = (
    "UPDATE log_derive_cursor SET last_id = ?, version = version + 1, updated_ns = ? WHERE name = ?"
)
_EVERY_ID = 2**63 - 1  # SQLite: every committed line is visible to the read


def _cursor(connection: sqlite3.Connection) -> tuple[int, int] | None:
    row = connection.execute(_CURSOR, (derive.CURSOR,)).fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


def read_plan(
    connection: sqlite3.Connection, miner: derive.Miner, limit: int
) -> derive.Plan | None:
    """Read up to `limit` lines after the cursor and mine them (the miner takes them in,
    reloaded first when another process wrote the last batch); None when there are
    none."""
    after, version = _cursor(connection) or (0, 0)
    if miner.version != version:
        miner.restore(connection.execute(derive.RELOAD))
    read = connection.execute(derive.READ_SQLITE, (after, _EVERY_ID, limit))
    rows = derive.bounded(read.fetchall(), limit)
    if not rows:
        return None
    return derive.plan_of(after, version, rows, derive.mine_batch(miner, rows))


def write_plan(
    connection: sqlite3.Connection, miner: derive.Miner, plan: derive.Plan
) -> derive.DeriveResult:
    """Write a mined batch in the caller's write transaction: patterns, FTS5, pattern
    volume, trace refs and the cursor. Raises CursorMoved (writing nothing) when another
    process derived from the cursor first."""
    cursor = _cursor(connection)
    if cursor is None:
        connection.execute(_NEW_CURSOR, (derive.CURSOR,))
        cursor = (0, 0)
    if cursor != (plan.after, plan.version):
        raise derive.CursorMoved
    connection.execute(derive.ASSIGN_SQLITE, (orjson.dumps(plan.pattern_ids), plan.first_id))
    connection.execute(derive.INDEX_TEXT_SQLITE, (plan.after, plan.last_id))
    connection.executemany(derive.PATTERN_UPSERT_SQLITE, derive.pattern_values(miner, plan.dirty))
    connection.executemany(derive.MINUTES_UPSERT_SQLITE, derive.minute_values(plan.minutes))
    connection.execute(trace_refs.SAVE_BATCH_SQLITE, (plan.after, plan.last_id))
    connection.execute(_MOVE_CURSOR, (plan.last_id, time.time_ns(), derive.CURSOR))
    return derive.DeriveResult(plan.rows, plan.last_id, plan.version + 1)
