"""Trace search sorted by duration, longest first, without reading the whole window.

The index `ix_spans_service_minute_duration` (see indexes.py) orders each service's
spans of one clock minute by duration. A search first asks, in one statement, for the
longest span of the service in every minute of the window (one index seek per minute),
then opens minutes best bound first and reads only their longest matching spans
(`LIMIT`), until no unopened minute can beat what it has: a threshold merge. The minutes
at the window's edges are read through the time index (at most a minute of spans each).
So the work is one seek per service and minute plus a few short reads, not the spans in
the window.

Minutes, not hours: an ingest batch falls in a few minutes, so the index pages it
touches stay few and hot (an index by hour and duration cost a third of ingest).

Stores never commit.
"""

from __future__ import annotations

import heapq
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, and_, func, literal_column, or_, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.tracing.indexes import MINUTE_EXPRESSION, MINUTE_NS
from sentinel.tracing.models import Span

# The index's expression, qualified; the constant is inlined, never a bound parameter.
_MINUTE = literal_column(f"({Span.__tablename__}.{MINUTE_EXPRESSION[1:]}", BigInteger())
_MAX_SCANNED = 200_000  # a search stops after this many matching spans
_FIRST_CHUNK = 8
_BATCH_MINUTES = 64  # unread minutes whose first chunks are read in one statement
_MAX_MINUTES = 100_000  # about 70 days of one service: beyond, the window is cut


Position = tuple[int, str, int]  # (sort value, trace id, row id) of the last span read


def ordered_after(key: Any, position: Position | None) -> Any:
    """SELECT key, trace id, row id of spans, `key` descending (ties by trace id, then row),
    strictly after `position`: the keyset paging of span scans."""
    stmt = select(key, Span.trace_id, Span.id)
    if position is not None:
        value, trace_id, row_id = position
        # `key <= value` on its own: a range the index seeks to. Inside the OR, SQLite
        # read the service's minute from its longest span down to the position.
        stmt = stmt.where(
            key <= value,
            or_(
                key < value,
                Span.trace_id > trace_id,
                and_(Span.trace_id == trace_id, Span.id > row_id),
            ),
        )
    return stmt.order_by(key.desc(), Span.trace_id, Span.id)


@dataclass
class _Minute:
    """Matching spans of one service in one minute, longest first, read in chunks."""

    where: list[Any]
    position: Position | None = None

    async def read(self, session: AsyncSession, size: int) -> list[tuple[int, str, int]]:
        key = Span.duration_ns
        stmt = ordered_after(key, self.position).where(*self.where).limit(size)
        rows = [(int(v), str(t), int(i)) for v, t, i in (await session.execute(stmt)).all()]
        if rows:
            self.position = rows[-1]
        return rows


async def _read_first(
    session: AsyncSession, batch: list[_Minute], size: int
) -> list[list[tuple[int, str, int]]]:
    """The first chunk of each unread minute of `batch`, in one statement (a UNION ALL of
    per-minute index reads): a window's minutes often all hold a candidate, and one
    statement per minute cost a millisecond each."""
    if len(batch) == 1:
        return [await batch[0].read(session, size)]
    parts = []
    for number, minute in enumerate(batch):
        chunk = ordered_after(Span.duration_ns, None).where(*minute.where).limit(size).subquery()
        part = literal_column(str(number), BigInteger()).label("part")
        parts.append(select(part, *chunk.c))
    out: list[list[tuple[int, str, int]]] = [[] for _ in batch]
    for number, value, trace_id, row_id in (await session.execute(union_all(*parts))).all():
        out[int(number)].append((int(value), str(trace_id), int(row_id)))
    for minute, rows in zip(batch, out, strict=True):
        rows.sort(key=lambda row: (-row[0], row[1], row[2]))
        if rows:
            minute.position = rows[-1]
    return out


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


# A constant is formatted in, nothing a caller gives.
_MAXIMA = text(
    "WITH RECURSIVE m(x) AS (SELECT CAST(:first AS BIGINT) UNION ALL "  # noqa: S608
    "SELECT x + 1 FROM m WHERE x < CAST(:last AS BIGINT)) "
    "SELECT x, (SELECT max(duration_ns) FROM spans WHERE service = :service "
    # m.x + 0: an expression has no affinity; a column of INTEGER affinity would keep
    # SQLite from matching the expression index.
    f"AND {MINUTE_EXPRESSION} = m.x + 0 AND duration_ns <= CAST(:ceiling AS BIGINT)) FROM m"
)


async def _minutes_of(
    session: AsyncSession,
    service: str,
    operation: str | None,
    start_ns: int,
    end_ns: int,
    filters: list[Any],
    ceiling: int,
    floor: int,
) -> list[tuple[int, _Minute]]:
    """(upper bound of the longest match, minute) for each minute of the window holding a
    span of the service longer than `floor`; the bound is the minute's longest span of the
    service."""
    scope: list[Any] = [Span.service == service]
    if operation:
        scope.append(Span.name == operation)
    in_window = [*scope, Span.start_ns >= start_ns, Span.start_ns < end_ns]
    # Two scalar subqueries: SQLite seeks the index once for each, where min and max in
    # one SELECT read every span of the service in the window.
    bounds = select(
        select(func.min(Span.start_ns)).where(*in_window).scalar_subquery(),
        select(func.max(Span.start_ns)).where(*in_window).scalar_subquery(),
    )
    first_ns, last_ns = (await session.execute(bounds)).one()
    if first_ns is None:
        return []
    first = int(first_ns) // MINUTE_NS
    last = min(int(last_ns) // MINUTE_NS, first + _MAX_MINUTES)
    params = {"first": first, "last": last, "service": service, "ceiling": ceiling}
    found = []
    for minute, longest in (await session.execute(_MAXIMA, params)).all():
        if longest is None or longest <= floor:
            continue
        low, high = int(minute) * MINUTE_NS, (int(minute) + 1) * MINUTE_NS
        if minute > 0 and start_ns <= low and high <= end_ns:
            where = [*scope, _MINUTE == int(minute), *filters]  # noqa: SIM300
        else:  # cut by the window: through the time index
            where = [*scope, Span.start_ns >= max(low, start_ns), Span.start_ns < min(high, end_ns)]
            where += filters
        found.append((int(longest), _Minute(where)))
    return found


# (-duration, trace id, row id, kind, minute index). At equal duration an unread minute
# ("" and kind _UNREAD: its spans' trace ids are unknown) comes before every span; a
# minute read up to a position comes right after the span at that position (kind
# _MORE), since the rows it has left sort after it; spans tie by trace id, then row id.
# So a span leaves only when no unread row could sort before it.
_Entry = tuple[int, str, int, int, int]
_UNREAD, _SPAN, _MORE = 0, 1, 2


def _take_unread(heap: list[_Entry], minutes: list[_Minute]) -> list[int]:
    """Remove from `heap` the unread minutes with the highest bounds, up to a batch, and
    return their indexes: read now with the one being opened, they are the next to open."""
    unread = heapq.nsmallest(_BATCH_MINUTES - 1, (e for e in heap if e[3] == _UNREAD))
    if unread:
        taken = {e[4] for e in unread}
        heap[:] = [e for e in heap if not (e[3] == _UNREAD and e[4] in taken)]
        heapq.heapify(heap)
    return [e[4] for e in unread]


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
    floor: int = -1,
    among: Collection[str] | None = None,
) -> list[tuple[str, int]]:
    """Trace ids with a matching span, longest best span first (ties by trace id), each
    with that duration; strictly after the `after` cursor. `filters` are the conditions
    other than service, operation and time; `best_values(trace_ids)` gives each trace's
    longest matching span in the whole window (to drop a trace an earlier page showed).
    Only spans longer than `floor` match: minutes with none are never opened. Without a
    service, `among` names the services to search (default: every service)."""
    ceiling = 2**63 - 1
    if floor >= 0:
        filters = [*filters, Span.duration_ns > floor]
    if after is not None:
        value, trace_id = after
        ceiling = value
        filters = [
            *filters,
            or_(
                Span.duration_ns < value,
                and_(Span.duration_ns == value, Span.trace_id > trace_id),
            ),
        ]
    minutes: list[_Minute] = []
    heap: list[_Entry] = []  # longest first; see _Entry
    names = sorted(among) if service is None and among is not None else None
    for name in names if names is not None else await _services(session, service):
        for bound, minute in await _minutes_of(
            session, name, operation, start_ns, end_ns, filters, ceiling, floor
        ):
            heapq.heappush(heap, (-bound, "", 0, _UNREAD, len(minutes)))
            minutes.append(minute)
    found: dict[str, int] = {}
    seen: set[str] = set()
    scanned = 0
    while heap and scanned < _MAX_SCANNED:
        pending: list[str] = []
        while heap and len(found) < limit and scanned < _MAX_SCANNED:
            negative, trace_id, _row, kind, index = heapq.heappop(heap)
            if kind != _SPAN:
                first = kind == _UNREAD
                size = _FIRST_CHUNK if first else 4 * limit
                indexes = [index, *(_take_unread(heap, minutes) if first else [])]
                reads = (
                    await _read_first(session, [minutes[i] for i in indexes], size)
                    if first
                    else [await minutes[index].read(session, size)]
                )
                for i, rows in zip(indexes, reads, strict=True):
                    scanned += len(rows)
                    for value, t, row_id in rows:
                        heapq.heappush(heap, (-value, t, row_id, _SPAN, i))
                    if len(rows) == size:  # more below the last one read
                        last, t, row_id = rows[-1]
                        heapq.heappush(heap, (-last, t, row_id, _MORE, i))
            elif trace_id not in seen:
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
    return list(found.items())[:limit]
