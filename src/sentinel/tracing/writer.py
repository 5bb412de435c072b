"""The span write path: resources, spans and rollups in the caller's transaction.

Spans go through the driver's own executemany: SQLAlchemy's per-row parameter handling
costs more than the insert itself at ingest rates. The store never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.storage.dialect import dialect_name, upsert_insert
from sentinel.tracing import rollup
from sentinel.tracing.models import Span, SpanResource
from sentinel.tracing.records import SPAN_COLUMNS, SpanBatch

_LOOKUP_CHUNK = 500


def _insert_sql(table: str, columns: Iterable[str], postgres: bool, ignore: bool) -> str:
    cols = list(columns)
    if postgres:
        marks = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
        tail = " ON CONFLICT DO NOTHING" if ignore else ""
        return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks}){tail}"  # noqa: S608
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    marks = ", ".join("?" for _ in cols)
    return f"{verb} INTO {table} ({', '.join(cols)}) VALUES ({marks})"


_SQL: dict[tuple[str, bool], str] = {}
for _pg in (False, True):
    _SQL[("spans", _pg)] = _insert_sql("spans", SPAN_COLUMNS, _pg, ignore=True)
    _SQL[("ops", _pg)] = _insert_sql(
        "span_operation_rollups",
        ("minute", "service", "name", "count", "error_count", "duration_sum_ns", "sketch"),
        _pg,
        ignore=False,
    )
    _SQL[("edges", _pg)] = _insert_sql(
        "span_edge_rollups",
        ("minute", "caller", "callee", "traced", "count", "error_count", "sketch"),
        _pg,
        ignore=False,
    )


async def _driver(session: AsyncSession) -> Any:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def _executemany(session: AsyncSession, key: str, rows: list[Any]) -> None:
    if not rows:
        return
    postgres = dialect_name(session) == "postgresql"
    driver = await _driver(session)
    await driver.executemany(_SQL[(key, postgres)], rows)


async def _stored_parents(
    session: AsyncSession, wanted: set[tuple[str, str]]
) -> dict[tuple[str, str], rollup.StoredSpan]:
    found: dict[tuple[str, str], rollup.StoredSpan] = {}
    traces = sorted({t for t, _ in wanted})
    for i in range(0, len(traces), _LOOKUP_CHUNK):
        for s in await _lookup(session, Span.trace_id.in_(traces[i : i + _LOOKUP_CHUNK])):
            if (s.trace_id, s.span_id) in wanted:
                found[(s.trace_id, s.span_id)] = s
    return found


async def _stored_children(
    session: AsyncSession, exits: set[tuple[str, str]]
) -> list[rollup.StoredSpan]:
    found: list[rollup.StoredSpan] = []
    traces = sorted({t for t, _ in exits})
    for i in range(0, len(traces), _LOOKUP_CHUNK):
        chunk = traces[i : i + _LOOKUP_CHUNK]
        for s in await _lookup(session, Span.trace_id.in_(chunk), Span.parent_span_id != ""):
            if (s.trace_id, s.parent_span_id) in exits:
                found.append(s)
    return found


async def _lookup(session: AsyncSession, *where: Any) -> list[rollup.StoredSpan]:
    stmt = select(
        Span.trace_id,
        Span.span_id,
        Span.parent_span_id,
        Span.service,
        Span.start_ns,
        Span.duration_ns,
        Span.is_error,
    ).where(*where)
    return [rollup.StoredSpan(*row) for row in (await session.execute(stmt)).all()]


def _trace_lock_key(trace_id: str) -> int:
    """A signed 64-bit advisory lock key from the trace id's first 8 bytes."""
    return int.from_bytes(bytes.fromhex(trace_id[:16]), "big", signed=True)


async def _lock_traces(session: AsyncSession, trace_ids: set[str]) -> None:
    """PostgreSQL: hold a transaction lock per trace that needs cross-batch edge pairing.

    Two batches holding the two ends of a call both look for the other end; without the
    lock each could look before the other commits and the call would never be counted.
    With it the second waits for the first to commit, then sees its spans (READ
    COMMITTED: each statement sees what was committed before it started). Keys are taken
    in sorted order, so batches cannot deadlock on each other. SQLite needs none of this:
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


async def write_batch(
    session: AsyncSession, batch: SpanBatch, groups: rollup.OperationGroups
) -> None:
    """Store a decoded batch and its rollups (`groups` of its rows) in the session's
    transaction."""
    if not batch.rows:
        return
    resources = [
        {
            "id": r.id,
            "service": r.service,
            "attributes": r.attributes,
            "scope_name": r.scope_name[:255],
            "scope_version": r.scope_version[:100],
        }
        for r in batch.resources.values()
    ]
    # The first statement goes through SQLAlchemy so that its transaction is open
    # before the driver-level inserts join it.
    insert = upsert_insert(session, SpanResource).on_conflict_do_nothing()
    await session.execute(insert, resources)
    rows = batch.rows
    parents = rollup.parents_to_look_up(rows)
    exits = rollup.exits_to_look_up(rows)
    if (parents or exits) and dialect_name(session) == "postgresql":
        await _lock_traces(session, {t for t, _ in parents | exits})
    stored_parents = await _stored_parents(session, parents) if parents else {}
    stored_children = await _stored_children(session, exits) if exits else []
    await _executemany(session, "spans", rows)
    await _executemany(session, "ops", rollup.operation_rollups(groups))
    await _executemany(session, "edges", rollup.edge_rollups(rows, stored_parents, stored_children))
