"""The log domain's background work: derive (index + patterns) and retention."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from sentinel.ingest.otlp.offload import mine_logs, write_mined
from sentinel.ingest.otlp.protocol import Encoding
from sentinel.ingest.pool import IngestPool, IngestUnavailable
from sentinel.logs import derive, trace_refs
from sentinel.logs.derive import BATCH_ROWS, Miner, derive_pending
from sentinel.storage.engine import Database
from sentinel.timeutil import parse_duration
from sentinel.worker.registry import JobContext, JobRegistry

DERIVE_EVERY = timedelta(seconds=1)
RETENTION_EVERY = timedelta(minutes=10)
RETENTION_CHUNK = 50_000
log = logging.getLogger(__name__)


def register(registry: JobRegistry) -> None:
    # One miner per process; it reloads itself from the database whenever another
    # process ran the last batch.
    miner = Miner()

    async def derive(ctx: JobContext, _payload: dict[str, Any]) -> None:
        if ctx.ingest_pool is None:
            await derive_pending(ctx.db, miner)
            return
        async with miner.busy:  # one batch at a time, as in-process
            await derive_in_pool(ctx.db, ctx.ingest_pool)

    # A poller (no job row per tick): the cursor row is locked, and idle it only reads.
    registry.poll("logs.derive", DERIVE_EVERY, derive)
    registry.every("logs.retention", RETENTION_EVERY, enforce_retention)


async def derive_in_pool(db: Database, pool: IngestPool, budget_seconds: float = 5.0) -> int:
    """SQLite with the ingest pool: derive batches in its processes (read, mined and
    written there, off this process's GIL), until caught up or out of time."""
    deadline = time.monotonic() + budget_seconds
    total = 0
    if not await derive.behind(db):
        return total
    while True:
        try:
            stored = await pool.store(mine_logs, write_mined, Encoding.PROTOBUF, b"")
        except IngestUnavailable as exc:  # stopping, or the batch failed: the next tick
            log.warning("log derive batch failed in an ingest process: %s", exc)
            return total
        rows = int(stored.summary or 0)
        total += rows
        if rows < BATCH_ROWS or time.monotonic() >= deadline:
            return total


async def enforce_retention(ctx: JobContext, _payload: dict[str, Any]) -> None:
    """Delete records older than SENTINEL_LOGS_RETENTION, in chunks, with their index
    entries; and the pattern volume minutes and trace refs past it."""
    keep = parse_duration(ctx.settings.logs_retention)
    await delete_before(ctx, time.time_ns() - int(keep.total_seconds() * 1e9))


# SQLite gives a new row the table's highest id plus one. Were the newest line deleted (every
# line past retention after a quiet spell), new lines would get ids the derive cursor has
# already passed, and they would never be indexed or mined. So the newest line stays.
DELETE_OLD = "DELETE FROM log_records WHERE id BETWEEN :low AND :high AND time_ns < :cutoff"
DELETE_KEEPING_NEWEST = (
    "DELETE FROM log_records WHERE id BETWEEN :low AND :high AND time_ns < :cutoff "
    "AND id < (SELECT max(id) FROM log_records)"
)


async def delete_before(ctx: JobContext, cutoff_ns: int) -> int:
    deleted = 0
    sqlite = ctx.db.dialect == "sqlite"
    while True:
        async with ctx.db.transaction() as session:
            ids = (
                (
                    await session.execute(
                        text(
                            "SELECT id FROM log_records WHERE time_ns < :cutoff ORDER BY time_ns "
                            "LIMIT :n"
                        ),
                        {"cutoff": cutoff_ns, "n": RETENTION_CHUNK},
                    )
                )
                .scalars()
                .all()
            )
            if not ids:
                break
            low, high = min(ids), max(ids)
            if sqlite:
                # External-content FTS5 needs the old text to remove an entry.
                await session.execute(
                    text(
                        "INSERT INTO log_fts(log_fts, rowid, body) SELECT 'delete', id, body "
                        "FROM log_records WHERE id BETWEEN :low AND :high AND time_ns < :cutoff "
                        "AND id <= (SELECT coalesce(max(last_id), 0) FROM log_derive_cursor) "
                        "AND id < (SELECT max(id) FROM log_records)"
                    ),
                    {"low": low, "high": high, "cutoff": cutoff_ns},
                )
            result = await session.execute(
                text(DELETE_KEEPING_NEWEST if sqlite else DELETE_OLD),
                {"low": low, "high": high, "cutoff": cutoff_ns},
            )
            deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]
        if len(ids) < RETENTION_CHUNK:
            break
    async with ctx.db.transaction() as session:
        await session.execute(
            text("DELETE FROM log_pattern_minutes WHERE minute < :m"),
            {"m": cutoff_ns // (60 * 10**9)},
        )
        oldest = await trace_refs.oldest_line(session)
    if not deleted:
        return 0
    for low, high in trace_refs.PRUNE_SLICES:
        async with ctx.db.transaction() as session:
            await trace_refs.prune(session, oldest, low, high)
    return deleted
