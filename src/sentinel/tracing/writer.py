"""The span write path: resources, spans and rollups in the caller's transaction (and,
with SENTINEL_TRACES_BLOCKS on, the spans' block and index rows: block_store.py).

Spans go through the driver's own executemany (driver.py). The store never commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.storage import multirow
from sentinel.storage.dialect import dialect_name, upsert_insert
from sentinel.tracing import block_store, rollup
from sentinel.tracing.driver import driver_of, insert_sql
from sentinel.tracing.models import SpanResource
from sentinel.tracing.records import SPAN_COLUMNS, START, TRACE_ID, SpanBatch, SpanRow

_LOOKUP_CHUNK = 500
# A resource's `last_seen_ns` trails the newest span start stored with it by less than
# this (retention keeps resources seen within it of the cutoff; see tasks.py).
LAST_SEEN_STEP_NS = 3600 * 10**9


_SQL: dict[tuple[str, bool], str] = {}
for _pg in (False, True):
    _SQL[("spans", _pg)] = insert_sql("spans", SPAN_COLUMNS, _pg, ignore=True)
    _SQL[("ops", _pg)] = insert_sql(
        "span_operation_rollups",
        ("minute", "service", "name", "count", "error_count", "duration_sum_ns", "sketch"),
        _pg,
        ignore=False,
    )
    _SQL[("edges", _pg)] = insert_sql(
        "span_edge_rollups",
        ("minute", "caller", "callee", "traced", "count", "error_count", "sketch"),
        _pg,
        ignore=False,
    )


async def _executemany(session: AsyncSession, key: str, rows: list[Any]) -> None:
    if not rows:
        return
    postgres = dialect_name(session) == "postgresql"
    driver = await driver_of(session)
    await driver.executemany(_SQL[(key, postgres)], rows)


_STORED = (
    "SELECT trace_id, span_id, parent_span_id, service, start_ns, duration_ns, is_error "
    "FROM spans WHERE trace_id "
)


async def _stored_spans(session: AsyncSession, traces: list[str]) -> list[rollup.StoredSpan]:
    """The stored spans of these traces, through the driver like the inserts (this runs
    for every batch): one indexed lookup that serves both duplicate detection and edge
    pairing."""
    driver = await driver_of(session)
    if dialect_name(session) == "postgresql":
        rows = await driver.fetch(_STORED + "= ANY($1::varchar[])", traces)
        return [rollup.StoredSpan(*row) for row in rows]
    found: list[rollup.StoredSpan] = []
    for i in range(0, len(traces), _LOOKUP_CHUNK):
        chunk = traces[i : i + _LOOKUP_CHUNK]
        sql = _STORED + f"IN ({', '.join('?' * len(chunk))})"
        async with driver.execute(sql, chunk) as cursor:
            found += [rollup.StoredSpan(*row) for row in await cursor.fetchall()]
    return found


# Advisory locks live in PostgreSQL's shared lock table, sized for
# max_locks_per_transaction x max_connections (6,400 by default); a lock per trace takes
# thousands of entries for one Collector batch, and several such batches at once can run
# it out ("out of shared memory"). Traces hash onto this many keys instead: two batches
# meeting on a key wait for each other, which is only ever extra caution.
TRACE_LOCK_SLOTS = 256
_TRACE_LOCK_BASE = 0x5E47_0000  # keeps our keys apart from other advisory lock users


def _trace_lock_key(trace_id: str) -> int:
    """The advisory lock key of the slot the trace hashes onto."""
    return _TRACE_LOCK_BASE + int(trace_id[:8], 16) % TRACE_LOCK_SLOTS


async def _lock_traces(session: AsyncSession, trace_ids: Iterable[str]) -> None:
    """PostgreSQL: hold a transaction lock for every trace of the batch (one per slot its
    trace ids hash onto, at most TRACE_LOCK_SLOTS).

    Two batches holding the two ends of a call both look for the other end; without the
    lock each could look before the other commits and the call would never be counted.
    Two batches holding the same span (a retried export racing the original) would each
    find it unstored and count it. With the lock the second waits for the first to
    commit, then sees its spans (READ COMMITTED: each statement sees what was committed
    before it started). Keys are taken in sorted order, so batches cannot deadlock on
    each other. SQLite needs none of this:
    it writes one transaction at a time (storage/write_gate.py).
    """
    keys = sorted({_trace_lock_key(t) for t in trace_ids})
    await session.execute(
        text(
            "SELECT pg_advisory_xact_lock(k) "
            "FROM (SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY 1) AS ordered"
        ),
        {"keys": keys},
    )


async def _upsert_resources(session: AsyncSession, batch: SpanBatch, newest_ns: int) -> None:
    """Store the batch's new resources and move `last_seen_ns` of known ones forward.

    `last_seen_ns` only moves when it is LAST_SEEN_STEP_NS behind, so a resource's row is
    written (and, on PostgreSQL, row-locked until commit) about once per step, not by
    every batch. Rows are written in id order, so concurrent batches cannot deadlock on
    them. On PostgreSQL the update comes before the insert: it waits for a retention run
    deleting the row, and the insert then puts the row back.
    """
    ids = sorted(batch.resources)
    floor = newest_ns - LAST_SEEN_STEP_NS
    postgres = dialect_name(session) == "postgresql"
    if postgres:
        # Not ON CONFLICT DO UPDATE ... WHERE: PostgreSQL locks the conflicting row even
        # when the WHERE is false, and every concurrent batch would queue on it.
        behind = select(SpanResource.id).where(
            SpanResource.id.in_(ids), SpanResource.last_seen_ns < floor
        )
        stale = sorted((await session.scalars(behind)).all())
        if stale:
            await session.execute(
                text(
                    "UPDATE span_resources SET last_seen_ns = :newest "
                    "WHERE id = :id AND last_seen_ns < :floor"
                ),
                [{"id": rid, "newest": newest_ns, "floor": floor} for rid in stale],
            )
    resources = [
        {
            "id": r.id,
            "service": r.service,
            "attributes": r.attributes,
            "scope_name": r.scope_name[:255],
            "scope_version": r.scope_version[:100],
            "last_seen_ns": newest_ns,
        }
        for r in (batch.resources[rid] for rid in ids)
    ]
    insert = upsert_insert(session, SpanResource)
    if postgres:
        insert = insert.on_conflict_do_nothing()
    else:  # one writer at a time: no row locks to queue on
        insert = insert.on_conflict_do_update(
            index_elements=["id"],
            set_={"last_seen_ns": insert.excluded.last_seen_ns},
            where=SpanResource.last_seen_ns < floor,
        )
    await session.execute(insert, resources)


def _counted(
    rows: list[SpanRow], groups: rollup.OperationGroups, stored: list[rollup.StoredSpan]
) -> tuple[list[SpanRow], rollup.OperationGroups, list[rollup.EdgeRollupRow]]:
    """The spans to store (first copies of spans not stored yet), the operation groups
    they count in and the edges they complete, given the stored spans of their traces."""
    fresh = rollup.first_copies(rows, {(s.trace_id, s.span_id) for s in stored})
    if fresh is not rows:
        groups = rollup.group_operations(fresh)
    if not fresh:
        return fresh, groups, []
    parents = rollup.parents_to_look_up(fresh)
    exits = rollup.exits_to_look_up(fresh)
    stored_parents, stored_children = rollup.stored_ends(stored, parents, exits)
    return fresh, groups, rollup.edge_rollups(fresh, stored_parents, stored_children)


async def write_batch(
    session: AsyncSession,
    batch: SpanBatch,
    groups: rollup.OperationGroups,
    block: bytes | None = None,
) -> rollup.OperationGroups:
    """Store a decoded batch and its rollups in the session's transaction; `groups` are
    its rows' (`rollup.group_operations`). Spans already stored, or repeated in the batch,
    are stored and counted once; returns the groups actually counted. `block` is the
    batch's `blocks.encode` when the block store is on: stored with the index rows of
    the spans stored. On SQLite without blocks, `write_batch_sqlite` does the same in one
    call on the connection's thread."""
    rows = batch.rows
    if not rows:
        return {}
    # The resource statements go through SQLAlchemy so that the transaction is open
    # before the driver-level inserts join it.
    await _upsert_resources(session, batch, max(map(itemgetter(START), rows)))
    traces = sorted({row[TRACE_ID] for row in rows})
    if dialect_name(session) == "postgresql":
        await _lock_traces(session, traces)
    stored = await _stored_spans(session, traces)
    fresh, groups, edges = _counted(rows, groups, stored)
    if not fresh:
        return groups
    await _executemany(session, "spans", fresh)
    if block is not None:
        await block_store.write_block(session, block, rows, fresh)
    await _executemany(session, "ops", rollup.operation_rollups(groups))
    await _executemany(session, "edges", edges)
    return groups


# SQLAlchemy's on_conflict_do_update(..., where=last_seen_ns < floor), as plain SQL.
_RESOURCES_SQLITE = (
    "INSERT INTO span_resources "
    "(id, service, attributes, scope_name, scope_version, last_seen_ns) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
    "last_seen_ns = excluded.last_seen_ns WHERE span_resources.last_seen_ns < ?"
)


# Spans per INSERT statement on SQLite (storage/multirow.py says why not one per step).
SPANS_PER_STATEMENT = multirow.rows_per_statement(len(SPAN_COLUMNS))


@dataclass(frozen=True)
class PreparedSpans:
    """A decoded batch with the statement parameters its SQLite write binds, made before
    the write (an ingest process makes them outside its turn at the write lock). The
    spans, operation rollups and edges are counted as if no span of the batch's traces
    were stored yet, as is usual; the write counts them again in the rare batch whose
    traces already have stored spans."""

    batch: SpanBatch
    groups: rollup.OperationGroups
    resources: list[tuple[Any, ...]]
    traces: list[str]
    counted: rollup.OperationGroups
    spans: multirow.Flat
    operations: list[rollup.OperationRollupRow]
    edges: list[rollup.EdgeRollupRow]


def prepare_sqlite(batch: SpanBatch, groups: rollup.OperationGroups) -> PreparedSpans:
    """Everything of a non-empty batch's SQLite write that does not need the database."""
    rows = batch.rows
    newest_ns = max(map(itemgetter(START), rows))
    floor = newest_ns - LAST_SEEN_STEP_NS
    fresh, counted, edges = _counted(rows, groups, [])
    return PreparedSpans(
        batch,
        groups,
        [
            (
                r.id,
                r.service,
                r.attributes,
                r.scope_name[:255],
                r.scope_version[:100],
                newest_ns,
                floor,
            )
            for r in (batch.resources[rid] for rid in sorted(batch.resources))
        ],
        sorted({row[TRACE_ID] for row in rows}),
        counted,
        multirow.flatten(fresh, SPANS_PER_STATEMENT),
        rollup.operation_rollups(counted),
        edges,
    )


def write_batch_sqlite(
    connection: sqlite3.Connection, batch: SpanBatch, groups: rollup.OperationGroups
) -> rollup.OperationGroups:
    """`write_batch` on SQLite, as one synchronous call inside the caller's transaction
    (`Database.sqlite_write` runs it on the connection's thread): the same statements and
    the same counting, without an await between them."""
    if not batch.rows:
        return {}
    return write_prepared_sqlite(connection, prepare_sqlite(batch, groups))


def write_prepared_sqlite(
    connection: sqlite3.Connection, prepared: PreparedSpans
) -> rollup.OperationGroups:
    """`write_batch_sqlite` of a prepared batch: the statements, and the counting that
    needs the stored spans of the batch's traces."""
    rows = prepared.batch.rows
    connection.executemany(_RESOURCES_SQLITE, prepared.resources)
    stored: list[rollup.StoredSpan] = []
    for i in range(0, len(prepared.traces), _LOOKUP_CHUNK):
        chunk = prepared.traces[i : i + _LOOKUP_CHUNK]
        sql = _STORED + f"IN ({', '.join('?' * len(chunk))})"
        stored += [rollup.StoredSpan(*row) for row in connection.execute(sql, chunk)]
    if stored:
        fresh, groups, edges = _counted(rows, prepared.groups, stored)
        if not fresh:
            return groups
        spans = multirow.flatten(fresh, SPANS_PER_STATEMENT)
        operations = rollup.operation_rollups(groups)
    else:
        groups, spans, operations = prepared.counted, prepared.spans, prepared.operations
        edges = prepared.edges
    multirow.insert_flat(connection, _SQL[("spans", False)], len(SPAN_COLUMNS), spans)
    connection.executemany(_SQL[("ops", False)], operations)
    if edges:
        connection.executemany(_SQL[("edges", False)], edges)
    return groups
