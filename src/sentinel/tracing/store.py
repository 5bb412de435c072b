"""Read queries over spans and rollups. Stores never commit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.storage.dialect import dialect_name
from sentinel.tracing import filters, longest
from sentinel.tracing.indexes import MINUTE_NS
from sentinel.tracing.models import EdgeRollup, OperationRollup, Span, SpanResource

SortKey = Literal["start", "duration"]
_SCAN_CHUNK = 500
_MAX_SCANNED = 200_000  # a search stops after this many matching spans


@dataclass(frozen=True)
class SpanQuery:
    start_ns: int
    end_ns: int
    service: str | None = None
    operation: str | None = None
    attributes: tuple[filters.AttributeFilter, ...] = ()
    min_duration_ns: int | None = None
    max_duration_ns: int | None = None
    status: Literal["error", "ok"] | None = None


def span_conditions(query: SpanQuery, dialect: str) -> list[Any]:
    where: list[Any] = [Span.start_ns >= query.start_ns, Span.start_ns < query.end_ns]
    if query.service:
        where.append(Span.service == query.service)
    if query.operation:
        where.append(Span.name == query.operation)
    return where + span_filters(query, dialect)


def span_filters(query: SpanQuery, dialect: str) -> list[Any]:
    """The conditions other than time, service and operation."""
    where: list[Any] = []
    if query.min_duration_ns is not None:
        where.append(Span.duration_ns >= query.min_duration_ns)
    if query.max_duration_ns is not None:
        where.append(Span.duration_ns <= query.max_duration_ns)
    if query.status == "error":
        where.append(Span.is_error.is_(True))
    elif query.status == "ok":
        where.append(Span.is_error.is_(False))
    if query.attributes:
        where.append(filters.to_sql(list(query.attributes), dialect))
    return where


async def search_trace_ids(
    session: AsyncSession,
    query: SpanQuery,
    sort: SortKey,
    limit: int,
    after: tuple[int, str] | None,
) -> list[tuple[str, int]]:
    """Trace ids with a matching span, best first by (sort value desc, trace id), each with
    its best matching sort value; strictly after the `after` cursor."""
    if sort == "duration":
        dialect = dialect_name(session)

        async def best_of(trace_ids: list[str]) -> dict[str, int]:
            return await _best_values(session, query, sort, trace_ids)

        return await longest.longest_first(
            session,
            query.service,
            query.operation,
            query.start_ns,
            query.end_ns,
            span_filters(query, dialect),
            limit,
            after,
            best_of,
        )
    where = span_conditions(query, dialect_name(session))
    key = Span.start_ns
    if after is not None:
        where.append(or_(key < after[0], and_(key == after[0], Span.trace_id > after[1])))
    found: dict[str, int] = {}
    verified: set[str] = set()
    dropped: set[str] = set()
    position: longest.Position | None = None
    scanned = 0
    exhausted = False
    while len(found) < limit and not exhausted and scanned < _MAX_SCANNED:
        stmt = longest.ordered_after(key, position).where(*where).limit(_SCAN_CHUNK)
        rows = (await session.execute(stmt)).all()
        scanned += len(rows)
        exhausted = len(rows) < _SCAN_CHUNK
        for i, (value, trace_id, row_id) in enumerate(rows):
            position = (value, trace_id, row_id)
            if trace_id not in found and trace_id not in dropped:
                found[trace_id] = value
                if len(found) == limit:
                    exhausted = exhausted and i == len(rows) - 1
                    break
        if after is not None:
            # A trace whose best span sorts before the cursor was on an earlier page.
            fresh = [t for t in found if t not in verified]
            best = await _best_values(session, query, sort, fresh) if fresh else {}
            for t in fresh:
                b = best.get(t, found[t])
                if b < after[0] or (b == after[0] and t > after[1]):
                    verified.add(t)
                else:
                    dropped.add(t)
                    del found[t]
    return list(found.items())


async def _best_values(
    session: AsyncSession, query: SpanQuery, sort: SortKey, trace_ids: list[str]
) -> dict[str, int]:
    key = Span.start_ns if sort == "start" else Span.duration_ns
    # The conditions are evaluated per span of these traces (found through the trace id
    # index), never as a WHERE: a planner would read the window through the time index.
    matching = and_(*span_conditions(query, dialect_name(session)))
    stmt = (
        select(Span.trace_id, func.max(case((matching, key))))
        .where(Span.trace_id.in_(trace_ids))
        .group_by(Span.trace_id)
    )
    return {t: int(v) for t, v in (await session.execute(stmt)).all() if v is not None}


_SUMMARY_COLUMNS = (
    Span.trace_id,
    Span.span_id,
    Span.parent_span_id,
    Span.service,
    Span.name,
    Span.start_ns,
    Span.duration_ns,
    Span.is_error,
)


async def trace_outlines(session: AsyncSession, trace_ids: Sequence[str]) -> list[Any]:
    """The few columns of every span of these traces that a summary needs."""
    if not trace_ids:
        return []
    stmt = select(*_SUMMARY_COLUMNS).where(Span.trace_id.in_(list(trace_ids)))
    return list((await session.execute(stmt)).all())


async def trace_spans(session: AsyncSession, trace_id: str) -> list[Span]:
    stmt = select(Span).where(Span.trace_id == trace_id).order_by(Span.start_ns, Span.id)
    return list((await session.scalars(stmt)).all())


async def spans_of_traces(session: AsyncSession, trace_ids: Sequence[str]) -> list[Span]:
    if not trace_ids:
        return []
    stmt = (
        select(Span)
        .where(Span.trace_id.in_(list(trace_ids)))
        .order_by(Span.trace_id, Span.start_ns, Span.id)
    )
    return list((await session.scalars(stmt)).all())


async def resources(session: AsyncSession, ids: set[int]) -> dict[int, SpanResource]:
    if not ids:
        return {}
    rows = await session.scalars(select(SpanResource).where(SpanResource.id.in_(list(ids))))
    return {r.id: r for r in rows.all()}


async def operation_rollups(
    session: AsyncSession,
    first_minute: int,
    last_minute: int,
    service: str | None = None,
    operation: str | None = None,
) -> list[Any]:
    stmt = select(
        OperationRollup.minute,
        OperationRollup.service,
        OperationRollup.name,
        OperationRollup.count,
        OperationRollup.error_count,
        OperationRollup.duration_sum_ns,
        OperationRollup.sketch,
    ).where(OperationRollup.minute >= first_minute, OperationRollup.minute <= last_minute)
    if service:
        stmt = stmt.where(OperationRollup.service == service)
    if operation:
        stmt = stmt.where(OperationRollup.name == operation)
    return list((await session.execute(stmt)).all())


async def edge_rollups(
    session: AsyncSession, first_minute: int, last_minute: int, service: str | None = None
) -> list[Any]:
    stmt = select(
        EdgeRollup.caller,
        EdgeRollup.callee,
        EdgeRollup.traced,
        EdgeRollup.count,
        EdgeRollup.error_count,
        EdgeRollup.sketch,
    ).where(EdgeRollup.minute >= first_minute, EdgeRollup.minute <= last_minute)
    if service:
        stmt = stmt.where(or_(EdgeRollup.caller == service, EdgeRollup.callee == service))
    return list((await session.execute(stmt)).all())


async def services(session: AsyncSession, first_minute: int | None = None) -> list[str]:
    stmt = select(OperationRollup.service).distinct()
    if first_minute is not None:
        stmt = stmt.where(OperationRollup.minute >= first_minute)
    return sorted(s for (s,) in (await session.execute(stmt)).all())


async def service_known(session: AsyncSession, service: str) -> bool:
    ops = select(OperationRollup.id).where(OperationRollup.service == service).limit(1)
    edges = select(EdgeRollup.id).where(EdgeRollup.callee == service).limit(1)
    if (await session.execute(ops)).first() is not None:
        return True
    return (await session.execute(edges)).first() is not None


async def operations(
    session: AsyncSession, service: str, first_minute: int | None = None
) -> list[tuple[str, int]]:
    """Operation names of a service with their span kind (the most recent one seen)."""
    stmt = select(OperationRollup.name).distinct().where(OperationRollup.service == service)
    if first_minute is not None:
        stmt = stmt.where(OperationRollup.minute >= first_minute)
    names = sorted(n for (n,) in (await session.execute(stmt)).all())
    return [(n, 0) for n in names]


async def span_kinds(session: AsyncSession, service: str, names: list[str]) -> dict[str, int]:
    """The span kind of one recent span per operation (for Jaeger's spanKind)."""
    if not names:
        return {}
    latest = (
        select(Span.name, func.max(Span.id).label("id"))
        .where(Span.service == service, Span.name.in_(names))
        .group_by(Span.name)
        .subquery()
    )
    stmt = select(Span.name, Span.kind).join(latest, Span.id == latest.c.id)
    return {n: int(k) for n, k in (await session.execute(stmt)).all()}


async def latest_kinds(
    session: AsyncSession, keys: Sequence[tuple[str, str]], limit: int = 500
) -> dict[tuple[str, str], int]:
    """The span kind of the most recent span of each (service, operation): one indexed
    lookup each (ix_spans_service_name_start), at most `limit` of them."""
    kinds: dict[tuple[str, str], int] = {}
    for service, name in list(keys)[:limit]:
        stmt = (
            select(Span.kind)
            .where(Span.service == service, Span.name == name)
            .order_by(Span.start_ns.desc())
            .limit(1)
        )
        kind = (await session.execute(stmt)).scalar()
        if kind is not None:
            kinds[(service, name)] = int(kind)
    return kinds


async def _no_cursor(_trace_ids: list[str]) -> dict[str, int]:
    return {}


async def _longest_roots(
    session: AsyncSession,
    start_ns: int,
    end_ns: int,
    services: set[str],
    where: list[Any],
    limit: int,
    floor: int = -1,
    keep: Callable[[Any], bool] = lambda _row: True,
) -> list[Any]:
    """Root spans of `services` matching `where` (and `keep`, the same test in Python),
    longest first, found by the per-minute duration index (longest.py) rather than by
    sorting every root span of the window."""
    roots = [Span.parent_span_id == "", *where]
    service = next(iter(services)) if len(services) == 1 else None
    hits = await longest.longest_first(
        session, service, None, start_ns, end_ns, roots, limit, None, _no_cursor, floor, services
    )
    if not hits:
        return []
    # By trace id only: given the window or `where` as well, SQLite reads the window
    # through another index instead.
    stmt = select(*_SUMMARY_COLUMNS).where(
        Span.trace_id.in_([t for t, _ in hits]), Span.parent_span_id == ""
    )
    rows = [
        row
        for row in (await session.execute(stmt)).all()
        if start_ns <= row.start_ns < end_ns and row.duration_ns > floor and keep(row)
    ]
    rows.sort(key=lambda row: (-row.duration_ns, row.trace_id))
    return rows[:limit]


async def slowest_roots(
    session: AsyncSession,
    start_ns: int,
    end_ns: int,
    root_ops: list[tuple[str, str]],
    limit: int,
) -> list[Any]:
    """The longest root spans of the window among the services of `root_ops` (the
    window's `root_operations`)."""
    services = {s for s, _ in root_ops}
    return await _longest_roots(session, start_ns, end_ns, services, [], limit)


async def roots_slower_than(
    session: AsyncSession,
    start_ns: int,
    end_ns: int,
    thresholds: dict[tuple[str, str], int],
    limit: int,
) -> list[Any]:
    """Root spans slower than their own operation's threshold, longest first."""
    if not thresholds:
        return []
    over = [
        and_(Span.service == s, Span.name == n, Span.duration_ns > t)
        for (s, n), t in thresholds.items()
    ]
    services = {s for s, _ in thresholds}
    floor = min(thresholds.values())

    def slower(row: Any) -> bool:
        return bool(row.duration_ns > thresholds.get((row.service, row.name), 2**63))

    return await _longest_roots(
        session, start_ns, end_ns, services, [or_(*over)], limit, floor, slower
    )


_ROOT_PROBE = 50  # newest spans of an operation looked at to tell whether it is a root


async def root_operations(
    session: AsyncSession, start_ns: int, end_ns: int, service: str | None
) -> list[tuple[str, str]]:
    """(service, operation) of root spans in the window, busiest first (at most 200).

    The window's operations come from the minute rollups; an operation counts as a root
    one when a root span is among its newest spans of the window (one index seek each),
    so this never reads every span of the window."""
    first, last = start_ns // MINUTE_NS, (end_ns - 1) // MINUTE_NS
    busiest = (
        select(OperationRollup.service, OperationRollup.name)
        .where(OperationRollup.minute >= first, OperationRollup.minute <= last)
        .group_by(OperationRollup.service, OperationRollup.name)
        .order_by(func.sum(OperationRollup.count).desc(), OperationRollup.service)
        .limit(1000)
    )
    if service:
        busiest = busiest.where(OperationRollup.service == service)
    found: list[tuple[str, str]] = []
    for s, n in (await session.execute(busiest)).all():
        newest = (
            select(Span.parent_span_id)
            .where(Span.service == s, Span.name == n)
            .where(Span.start_ns >= start_ns, Span.start_ns < end_ns)
            .order_by(Span.start_ns.desc())
            .limit(_ROOT_PROBE)
            .subquery()
        )
        probe = select(func.count()).select_from(newest).where(newest.c.parent_span_id == "")
        if await session.scalar(probe):
            found.append((str(s), str(n)))
            if len(found) == 200:
                break
    return found
