"""Trace search sorted by duration, longest first, without reading the whole window.

The index `ix_spans_service_hour_duration` (see indexes.py) orders each service's spans
of one clock hour by duration.
A search reads, per service and hour of the window, only the longest spans that match
(`LIMIT`), and merges those streams; the first span of a trace in the merged order is its
best one. An hour that the window cuts through (an edge hour holding spans outside the
window) is read through the time index instead: it costs at most that hour's spans of the
service. So the work grows with services x hours, not with the spans in the window.

Stores never commit.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, and_, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.tracing.indexes import HOUR_NS
from sentinel.tracing.models import Span

# The index's expression (indexes.HOUR_EXPRESSION), qualified.
_HOUR = literal_column(f"({Span.__tablename__}.start_ns / {HOUR_NS})", BigInteger())
_MAX_SCANNED = 200_000  # a search stops after this many matching spans


@dataclass
class _Stream:
    """Matching spans of one service in one hour, longest first, fetched in chunks."""

    where: list[Any]
    rows: deque[tuple[int, str, int]] = field(default_factory=deque)
    position: tuple[int, str, int] | None = None
    exhausted: bool = False

    async def fill(self, session: AsyncSession, size: int) -> int:
        key = Span.duration_ns
        stmt = select(key, Span.trace_id, Span.id).where(*self.where)
        if self.position is not None:
            value, trace_id, row_id = self.position
            stmt = stmt.where(
                or_(
                    key < value,
                    and_(key == value, Span.trace_id > trace_id),
                    and_(key == value, Span.trace_id == trace_id, Span.id > row_id),
                )
            )
        stmt = stmt.order_by(key.desc(), Span.trace_id, Span.id).limit(size)
        rows = [(int(v), str(t), int(i)) for v, t, i in (await session.execute(stmt)).all()]
        self.rows = deque(rows)
        self.exhausted = len(rows) < size
        if rows:
            self.position = rows[-1]
        return len(rows)


async def _services(session: AsyncSession, service: str | None) -> list[str]:
    """The named service, or every service: a loose scan of ix_spans_service_start, one
    probe per service."""
    if service:
        return [service]
    found: list[str] = []
    while True:
        stmt = select(func.min(Span.service))
        if found:
            stmt = stmt.where(Span.service > found[-1])
        name = await session.scalar(stmt)
        if name is None:
            return found
        found.append(str(name))


def _scope(service: str, operation: str | None) -> list[Any]:
    where: list[Any] = [Span.service == service]
    if operation:
        where.append(Span.name == operation)
    return where


async def _any_between(session: AsyncSession, scope: list[Any], low: int, high: int) -> bool:
    if low >= high:
        return False
    stmt = select(Span.id).where(*scope, Span.start_ns >= low, Span.start_ns < high).limit(1)
    return (await session.execute(stmt)).first() is not None


async def _streams_of(
    session: AsyncSession, scope: list[Any], start_ns: int, end_ns: int, filters: list[Any]
) -> list[_Stream]:
    """One stream per hour between the service's first and last span in the window."""
    in_window = [*scope, Span.start_ns >= start_ns, Span.start_ns < end_ns]
    bounds = select(func.min(Span.start_ns), func.max(Span.start_ns)).where(*in_window)
    first, last = (await session.execute(bounds)).one()
    if first is None:
        return []
    streams = []
    for hour in range(int(first) // HOUR_NS, int(last) // HOUR_NS + 1):
        low, high = hour * HOUR_NS, (hour + 1) * HOUR_NS
        whole = hour > 0 and not (
            await _any_between(session, scope, low, start_ns)
            or await _any_between(session, scope, end_ns, high)
        )
        if whole:
            # Every span of the service in this hour is in the window: the hour index.
            where = [*scope, _HOUR == hour, *filters]  # noqa: SIM300
        else:
            where = [*scope, Span.start_ns >= max(low, start_ns), Span.start_ns < min(high, end_ns)]
            where += filters
        streams.append(_Stream(where))
    return streams


async def longest_first(
    session: AsyncSession,
    service: str | None,
    operation: str | None,
    start_ns: int,
    end_ns: int,
    filters: list[Any],
    limit: int,
    after: tuple[int, str] | None,
    best_values: Callable[[list[str]], Awaitable[dict[str, int]]],
) -> list[tuple[str, int]]:
    """Trace ids with a matching span, longest best span first (ties by trace id), each
    with that duration; strictly after the `after` cursor. `filters` are the conditions
    other than service, operation and time; `best_values(trace_ids)` gives each trace's
    longest matching span in the whole window (to drop a trace an earlier page showed)."""
    if after is not None:
        value, trace_id = after
        filters = [
            *filters,
            or_(
                Span.duration_ns < value,
                and_(Span.duration_ns == value, Span.trace_id > trace_id),
            ),
        ]
    streams: list[_Stream] = []
    for name in await _services(session, service):
        scope = _scope(name, operation)
        streams += await _streams_of(session, scope, start_ns, end_ns, filters)
    heap: list[tuple[int, str, int, int]] = []
    scanned = 0
    for index, stream in enumerate(streams):
        scanned += await stream.fill(session, limit)
        _push(heap, stream, index)
    found: dict[str, int] = {}
    seen: set[str] = set()
    while heap and scanned < _MAX_SCANNED:
        pending: list[str] = []
        while heap and len(found) < limit and scanned < _MAX_SCANNED:
            negative, trace_id, _row, index = heapq.heappop(heap)
            stream = streams[index]
            if not stream.rows and not stream.exhausted:
                scanned += await stream.fill(session, max(4 * limit, 100))
            _push(heap, stream, index)
            if trace_id not in seen:
                seen.add(trace_id)
                found[trace_id] = -negative
                pending.append(trace_id)
        if after is None or not pending:
            break
        # A trace whose best span sorts before the cursor was on an earlier page.
        best = await best_values(pending)
        for t in pending:
            b = best.get(t, found[t])
            if not (b < after[0] or (b == after[0] and t > after[1])):
                del found[t]
        if len(found) >= limit:
            break
    return sorted(found.items(), key=lambda item: (-item[1], item[0]))[:limit]


def _push(heap: list[tuple[int, str, int, int]], stream: _Stream, index: int) -> None:
    if stream.rows:
        value, trace_id, row_id = stream.rows.popleft()
        heapq.heappush(heap, (-value, trace_id, row_id, index))
