"""A trace's log lines without an index on log_records.trace_id.

Log trace ids are random, so an index on them put every traced line at a random place in
a B-tree on the ingest path: most of the cost of a log insert (docs/storage-shape.md).
Instead the derive worker, which reads every line behind its cursor anyway, writes one
`log_trace_refs` row per trace per batch: the smallest and largest id of that trace's
lines in the batch. A trace's lines usually arrive together, so that is a row per trace
per batch, not an index entry per line.

A read takes the derive cursor, then the trace's ranges (two short indexed reads), and
asks for the lines with that trace id whose id lies in one of the ranges or after the
cursor (lines not derived yet: a scan of the indexing lag, as text search does on SQLite).
SQLite turns an OR of rowid ranges into range seeks, but only if no other index looks
cheaper: with a time range, a service or a level in the query its planner would rather
scan that index (it knows nothing of how few lines a trace has). So a statement with a
trace's ranges reads log_records NOT INDEXED on SQLite (`seek_by_id`): the rowid is all
it may use. A trace seen in many batches has its closest ranges merged so the statement
stays small.

On PostgreSQL log_records keeps its partial index on trace_id and reads use it: ingest
there is not bound by one writer's page writes as on SQLite. (The derive worker follows
log_records through storage/commit_order.py's high water there, so a line that commits
late is derived late, never skipped.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.logs.models import DERIVE_CURSOR, LogDeriveCursor, LogRecord, LogTraceRef
from sentinel.storage.dialect import dialect_name

_Ts = TypeVarTuple("_Ts")
# At most this many id ranges in one statement; beyond, the closest ones are merged
# (wider ranges, more rows checked, never a line missed).
MAX_RANGES = 64


@dataclass(frozen=True)
class TraceLines:
    """Where the lines of one trace are: inside `ranges` (ids, inclusive) up to the derive
    cursor `through`, anywhere after it."""

    trace_id: str
    ranges: tuple[tuple[int, int], ...]
    through: int
    indexed: bool = False  # PostgreSQL: the trace id index finds them

    def condition(self) -> ColumnElement[bool]:
        if self.indexed:
            return LogRecord.trace_id == self.trace_id
        places = [LogRecord.id.between(low, high) for low, high in self.ranges]
        return and_(
            LogRecord.trace_id == self.trace_id,
            or_(*places, LogRecord.id > self.through).self_group(),
        )


def seek_by_id(stmt: Select[*_Ts], trace: TraceLines | None) -> Select[*_Ts]:
    """The statement reading log_records by rowid only on SQLite (NOT INDEXED) when it
    holds a trace's condition: the ranges are the cheap way in, whatever else it asks."""
    if trace is None or trace.indexed:
        return stmt
    return stmt.with_hint(LogRecord, "NOT INDEXED", dialect_name="sqlite")


def of_batch(rows: Iterable[Sequence[Any]]) -> list[tuple[str, int, int]]:
    """(trace id, first id, last id) per trace id among the batch's (id, trace id) rows,
    sorted by trace id (the B-tree takes them in key order)."""
    spans: dict[str, list[int]] = {}
    for record_id, trace_id in rows:
        if not trace_id:
            continue
        seen = spans.get(trace_id)
        if seen is None:
            spans[trace_id] = [record_id, record_id]
        elif record_id < seen[0]:
            seen[0] = record_id
        elif record_id > seen[1]:
            seen[1] = record_id
    return [(t, low, high) for t, (low, high) in sorted(spans.items())]


def merged(ranges: Sequence[tuple[int, int]], cap: int = MAX_RANGES) -> tuple[tuple[int, int], ...]:
    """The ranges sorted, overlapping or touching ones joined, then the pairs with the
    smallest gap between them joined until at most `cap` remain."""
    out: list[list[int]] = []
    for low, high in sorted(ranges):
        if out and low <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], high)
        else:
            out.append([low, high])
    if len(out) > cap:
        gaps = sorted(range(len(out) - 1), key=lambda i: out[i + 1][0] - out[i][1])
        closed = set(gaps[: len(out) - cap])
        joined: list[list[int]] = []
        for i, (low, high) in enumerate(out):
            if i - 1 in closed:
                joined[-1][1] = high
            else:
                joined.append([low, high])
        out = joined
    return tuple((low, high) for low, high in out)


async def lookup(session: AsyncSession, trace_id: str) -> TraceLines:
    """The cursor first, then the ranges: a batch committed in between adds a range past
    the cursor read, which is harmless; the other order could miss that batch's lines."""
    if dialect_name(session) == "postgresql":
        return TraceLines(trace_id, (), 0, indexed=True)
    through = await session.scalar(
        select(LogDeriveCursor.last_id).where(LogDeriveCursor.name == DERIVE_CURSOR)
    )
    rows = await session.execute(
        select(LogTraceRef.first_id, LogTraceRef.last_id).where(LogTraceRef.trace_id == trace_id)
    )
    return TraceLines(trace_id, merged([(a, b) for a, b in rows.all()]), int(through or 0))


async def for_trace(session: AsyncSession, trace_id: str | None) -> TraceLines | None:
    return await lookup(session, trace_id) if trace_id else None


# SQLite: the refs of the lines with ids in (after, last], a derive batch, in its
# transaction (before the cursor moves past them): `of_batch` of those lines, computed by
# the database (no Python object per line). derive_sqlite.write_plan runs it.
SAVE_BATCH_SQLITE = (
    "INSERT INTO log_trace_refs (trace_id, first_id, last_id) "
    "SELECT trace_id, min(id), max(id) FROM log_records "
    "WHERE id > ? AND id <= ? AND trace_id != '' GROUP BY trace_id "
    "ON CONFLICT DO NOTHING"
)


# Retention reads the refs in 16 slices of trace ids, each in a transaction of its own:
# no index on last_id to keep up on every batch, and no long hold of SQLite's write lock.
_DIGITS = "0123456789abcdef"
PRUNE_SLICES: tuple[tuple[str, str | None], ...] = (
    ("", "1"),
    *pairwise(_DIGITS[1:]),
    ("f", None),
)


async def oldest_line(session: AsyncSession) -> int:
    """The id below which every line is gone (past any id when no line is left)."""
    oldest = await session.scalar(select(func.min(LogRecord.id)))
    return int(oldest) if oldest is not None else 2**63 - 1


async def prune(session: AsyncSession, oldest: int, low: str, high: str | None) -> int:
    """Delete the refs of trace ids in [low, high) (no upper bound: None) that name only
    lines below `oldest` (deleted)."""
    stmt = delete(LogTraceRef).where(LogTraceRef.trace_id >= low, LogTraceRef.last_id < oldest)
    if high is not None:
        stmt = stmt.where(LogTraceRef.trace_id < high)
    result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
