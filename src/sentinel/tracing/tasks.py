"""Periodic tracing work: retention (SENTINEL_TRACES_RETENTION) and rollup compaction."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.storage.engine import Database
from sentinel.timeutil import parse_duration
from sentinel.tracing.block_store import prune_names
from sentinel.tracing.compaction import fold
from sentinel.tracing.models import (
    EdgeRollup,
    OperationRollup,
    Span,
    SpanBlock,
    SpanIndexRow,
    SpanResource,
)
from sentinel.tracing.rollup import NS_PER_MINUTE
from sentinel.tracing.writer import LAST_SEEN_STEP_NS
from sentinel.worker.registry import JobContext, JobRegistry

# Bounded work per run keeps each transaction short; the next run continues.
DELETE_BATCH = 50_000
DELETE_BLOCKS = 500  # a block holds one ingest request's spans, up to megabytes
COMPACT_KEYS = 2_000
_ID_CHUNK = 10_000  # ids per DELETE, under SQLite's bound-parameter limit
_YIELD_EVERY = 20  # keys merged between two chances for requests to run
# Minutes this recent may still be receiving partial rows from ingest.
OPEN_MINUTES = 2
# How often the minutes that received rows are folded, open ones included.
RECENT_COMPACTION_INTERVAL = timedelta(seconds=10)


async def enforce_retention(session: AsyncSession, retention: timedelta, now_ns: int) -> int:
    """Delete spans that started before now - retention, rollups of those minutes,
    resources no remaining span uses, and the block store's expired index rows and blocks.
    Returns how many spans were deleted (at most DELETE_BATCH per call)."""
    cutoff_ns = now_ns - int(retention.total_seconds() * 1e9)
    doomed = select(Span.id).where(Span.start_ns < cutoff_ns).limit(DELETE_BATCH)
    ids = list((await session.scalars(doomed)).all())
    if ids:
        await session.execute(delete(Span).where(Span.id.in_(ids)))
    if len(ids) < DELETE_BATCH:
        # Every span older than the cutoff is gone, and a resource last seen a step
        # before it has no newer span (writer.LAST_SEEN_STEP_NS): nothing uses it.
        floor_ns = cutoff_ns - LAST_SEEN_STEP_NS
        await session.execute(delete(SpanResource).where(SpanResource.last_seen_ns < floor_ns))
    await _expire_blocks(session, cutoff_ns)
    cutoff_minute = cutoff_ns // NS_PER_MINUTE
    await session.execute(delete(OperationRollup).where(OperationRollup.minute < cutoff_minute))
    await session.execute(delete(EdgeRollup).where(EdgeRollup.minute < cutoff_minute))
    return len(ids)


async def _expire_blocks(session: AsyncSession, cutoff_ns: int) -> None:
    """The block store's part (SENTINEL_TRACES_BLOCKS): index rows of spans that started
    before the cutoff, then, once none is left, blocks whose newest span did. A block
    outlives the index rows of its older spans; reads only go through index rows."""
    doomed = select(SpanIndexRow.id).where(SpanIndexRow.start_ns < cutoff_ns).limit(DELETE_BATCH)
    ids = list((await session.scalars(doomed)).all())
    if ids:
        await session.execute(delete(SpanIndexRow).where(SpanIndexRow.id.in_(ids)))
    if len(ids) < DELETE_BATCH:
        expired = select(SpanBlock.id).where(SpanBlock.last_start_ns < cutoff_ns)
        blocks = list((await session.scalars(expired.limit(DELETE_BLOCKS))).all())
        if blocks:
            await session.execute(delete(SpanBlock).where(SpanBlock.id.in_(blocks)))


class RollupsRaced(RuntimeError):
    """Rows a compaction read were folded by another run before it deleted them; its
    transaction rolls back and the next run folds what is left."""


_ROLLUPS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (OperationRollup, ("minute", "service", "name")),
    (EdgeRollup, ("minute", "caller", "callee", "traced")),
)


async def compact_rollups(session: AsyncSession, now_ns: int) -> int:
    """Fold the partial rows of closed minutes into one row per key. Returns keys folded."""
    closed = now_ns // NS_PER_MINUTE - OPEN_MINUTES
    folded = 0
    for model, key_columns in _ROLLUPS:
        folded += await _fold_keys(session, model, key_columns, model.minute <= closed)
    return folded


async def compact_recent_rollups(session: AsyncSession, marks: dict[str, int]) -> int:
    """Fold the partial rows of every minute, open ones included, that received rows since
    the last run (`marks`: each table's highest id then, updated here). Under sustained
    ingest each batch adds a row per operation and edge to the current minute; folded
    every few seconds, a statistics read merges a handful of sketches per key and minute
    rather than one per batch. A row whose id is at or below the mark (PostgreSQL commits
    ids out of order; a row written while this ran) is folded with the next row of its
    minute, or by the minutely sweep of closed minutes."""
    folded = 0
    for model, key_columns in _ROLLUPS:
        table = model.__tablename__
        dirty = select(model.minute).where(model.id > marks.get(table, 0)).distinct()
        done = await _fold_keys(session, model, key_columns, model.minute.in_(dirty))
        folded += done
        if done < COMPACT_KEYS:  # else the next run goes on from the same mark
            # Read after the fold: SQLite reuses the ids of deleted rows above the highest
            # one left, so the mark must be at least the folded rows' new ids.
            marks[table] = int(await session.scalar(select(func.max(model.id))) or 0)
    return folded


@dataclass
class Folds:
    """What a compaction read: the partial rows' ids, and one merged row per key."""

    table: Any
    ids: list[int] = field(default_factory=list)
    merged: list[dict[str, Any]] = field(default_factory=list)


async def _fold_keys(
    session: AsyncSession, model: Any, key_columns: tuple[str, ...], scope: Any
) -> int:
    """Fold up to COMPACT_KEYS keys of `scope` that have more than one row, in a few
    statements: one read of all their rows, then one DELETE per chunk and one INSERT (on
    SQLite the first DELETE takes the write gate; the sketches are merged before it)."""
    folds = await read_folds(session, model, key_columns, scope)
    await write_folds(session, folds)
    return len(folds.merged)


async def read_folds(
    session: AsyncSession, model: Any, key_columns: tuple[str, ...], scope: Any
) -> Folds:
    """Read the rows of up to COMPACT_KEYS keys of `scope` with more than one row, and
    merge each key's (yielding to requests now and then: this is CPU work on the event
    loop). Writes nothing."""
    columns = [getattr(model, c) for c in key_columns]
    keys = (
        select(*columns)
        .where(scope)
        .group_by(*columns)
        .having(func.count() > 1)
        .limit(COMPACT_KEYS)
        .subquery()
    )
    on = and_(*(column == keys.c[column.key] for column in columns))
    folds = Folds(model.__table__)
    by_key: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in (await session.execute(select(folds.table).join(keys, on))).all():
        by_key[tuple(getattr(row, c) for c in key_columns)].append(row)
    for number, (key, rows) in enumerate(by_key.items()):
        if number % _YIELD_EVERY == _YIELD_EVERY - 1:
            await asyncio.sleep(0)  # the merge is CPU work on the serving event loop
        count, errors, total, blob = fold(rows)
        values: dict[str, Any] = dict(zip(key_columns, key, strict=True))
        values.update(count=count, error_count=errors, sketch=blob)
        if model is OperationRollup:
            values["duration_sum_ns"] = total
        folds.merged.append(values)
        folds.ids += [row.id for row in rows]
    return folds


async def write_folds(session: AsyncSession, folds: Folds) -> None:
    """Replace the rows read by their merged rows; RollupsRaced if any were gone."""
    table, ids = folds.table, folds.ids
    deleted = 0
    for at in range(0, len(ids), _ID_CHUNK):
        chunk = ids[at : at + _ID_CHUNK]
        result = await session.execute(delete(table).where(table.c.id.in_(chunk)))
        deleted += int(getattr(result, "rowcount", 0))
    if deleted != len(ids):
        # Another run folded some of these rows since they were read (a replica's, or the
        # other compaction job's): inserting ours would count them twice.
        raise RollupsRaced(f"{len(ids) - deleted} of {len(ids)} {table.name} rows were gone")
    if folds.merged:
        await session.execute(insert(table), folds.merged)


async def retention_task(ctx: JobContext, _payload: dict[str, Any]) -> None:
    retention = parse_duration(ctx.settings.traces_retention)
    await enforce_retention(ctx.session, retention, time.time_ns())


async def names_task(ctx: JobContext, _payload: dict[str, Any]) -> None:
    await prune_names(ctx.session)


async def compaction_task(ctx: JobContext, _payload: dict[str, Any]) -> None:
    await compact_rollups(ctx.session, time.time_ns())


# Per database (tests run several in one process): each rollup table's highest id at the
# last recent compaction. A new process starts from 0, so its first run looks at all.
_RECENT_MARKS: weakref.WeakKeyDictionary[Database, dict[str, int]] = weakref.WeakKeyDictionary()


async def recent_compaction_task(ctx: JobContext, _payload: dict[str, Any]) -> None:
    await compact_recent_rollups(ctx.session, _RECENT_MARKS.setdefault(ctx.db, {}))


def register(registry: JobRegistry) -> None:
    registry.every("tracing.retention", timedelta(minutes=1), retention_task)
    registry.every("tracing.rollup-compaction", timedelta(minutes=1), compaction_task)
    registry.every(
        "tracing.rollup-compaction-recent", RECENT_COMPACTION_INTERVAL, recent_compaction_task
    )
    # Hourly, not with each retention run: finding unused names scans all of span_index.
    registry.every("tracing.span-names", timedelta(hours=1), names_task)
