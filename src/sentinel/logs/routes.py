"""Log read endpoints: search, patterns, anomalies, errors, statistics, trace logs."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from sentinel.api.deps import Reader, SessionDep
from sentinel.api.errors import BadRequest, NotFound
from sentinel.api.pagination import decode_cursor, encode_cursor
from sentinel.logs import derive, search, service, tail, trace_refs, views
from sentinel.logs.derive import MINUTE_NS
from sentinel.logs.models import LogPattern
from sentinel.logs.query import QuerySyntaxError
from sentinel.logs.runtime import LogsRuntime
from sentinel.logs.schemas import (
    AnomalyOut,
    AnomalyReport,
    ErrorGroup,
    IndexFreshness,
    LogHit,
    Pattern,
    PatternPage,
    SearchResponse,
    Statistics,
    StatisticsBucket,
    TraceLogs,
    VolumePoint,
    ns_to_datetime,
)
from sentinel.logs.severity import level_of
from sentinel.timeutil import UtcDatetime, parse_duration

router = APIRouter(prefix="/api/logs", tags=["logs"])
router.include_router(tail.router)  # GET /api/logs/tail (live tail, SSE)
_TRACE_ID = re.compile(r"^[0-9a-fA-F]{32}$")

StartQ = Annotated[UtcDatetime | None, Query(description="From this time (RFC 3339).")]
EndQ = Annotated[UtcDatetime | None, Query(description="Until this time (RFC 3339).")]
SinceQ = Annotated[
    str | None, Query(description="Instead of start: this long before end, e.g. 15m, 1h, 7d.")
]
ServiceQ = Annotated[
    list[str] | None, Query(description="Only these services (repeat the parameter).")
]


def _range(
    start: UtcDatetime | None, end: UtcDatetime | None, since: str | None, default: timedelta | None
) -> tuple[int | None, int | None]:
    end_ns = int(end.timestamp() * 1e9) if end else None
    start_ns = int(start.timestamp() * 1e9) if start else None
    if since:
        try:
            span = parse_duration(since)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
        start_ns = (end_ns or time.time_ns()) - int(span.total_seconds() * 1e9)
    elif start_ns is None and default is not None:
        start_ns = (end_ns or time.time_ns()) - int(default.total_seconds() * 1e9)
    if start_ns is not None and end_ns is not None and start_ns >= end_ns:
        raise BadRequest("start must be before end")
    return start_ns, end_ns


def _freshness(raw: dict[str, object], postgres: bool) -> IndexFreshness:
    pending = int(raw["pending_records"])  # type: ignore[call-overload]
    updated = raw.get("updated_ns")
    return IndexFreshness(
        indexed_through_id=int(raw["indexed_through_id"]),  # type: ignore[call-overload]
        pending_records=pending,
        updated_at=ns_to_datetime(int(updated)) if updated else None,  # type: ignore[call-overload]
        note=(
            "the full-text index and patterns are up to date"
            if pending == 0
            else f"the {pending} newest records have no pattern id yet (PostgreSQL indexes "
            "text at once)"
            if postgres
            else f"the {pending} newest records are not in the full-text index yet (text "
            "matches them by a scan) and have no pattern id yet"
        ),
    )


@router.get("/search", response_model=SearchResponse, summary="Search logs (NL support)")
async def search_logs(
    request: Request,
    session: SessionDep,
    _principal: Reader,
    query: Annotated[
        str,
        Query(
            description='Search language (terms, "phrases", -exclusions, field:value) or a '
            'question such as "show me errors from database".'
        ),
    ] = "",
    q: Annotated[str | None, Query(description="Alias of query.")] = None,
    service_name: ServiceQ = None,
    level: Annotated[str | None, Query(description="Levels, e.g. ERROR or warn,error.")] = None,
    trace_id: Annotated[str | None, Query(pattern=r"^[0-9a-fA-F]{32}$")] = None,
    pattern_id: Annotated[list[int] | None, Query()] = None,
    nl: Annotated[
        bool | None, Query(description="Force (true) or forbid (false) natural language.")
    ] = None,
    start: StartQ = None,
    end: EndQ = None,
    since: SinceQ = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> SearchResponse:
    """Newest first. The response carries the structured query that ran and how fresh
    the full-text index is."""
    start_ns, end_ns = _range(start, end, since, None)
    runtime: LogsRuntime = request.app.state.logs
    try:
        outcome = await service.search_logs(
            session,
            service.SearchRequest(
                text=q if q is not None else query,
                services=service_name or [],
                levels=level,
                start_ns=start_ns,
                end_ns=end_ns,
                pattern_ids=pattern_id or [],
                trace_id=trace_id.lower() if trace_id else None,
                natural=nl,
                limit=limit,
                cursor=cursor,
            ),
            set(runtime.services),
        )
    except QuerySyntaxError as exc:
        raise BadRequest(f"The query cannot be read: {exc}") from exc
    return SearchResponse(
        items=[LogHit.of(r) for r in outcome.records],
        next_cursor=outcome.next_cursor,
        count=len(outcome.records),
        natural_language=outcome.natural,
        query=outcome.query.as_dict(),
        interpretation=outcome.notes,
        index=_freshness(outcome.freshness, session.get_bind().dialect.name == "postgresql"),
    )


def _pattern(p: LogPattern, volume: dict[int, int]) -> Pattern:
    return Pattern(
        id=p.id,
        template=p.template,
        count=p.count,
        error_count=p.error_count,
        first_seen=ns_to_datetime(p.first_seen_ns),
        last_seen=ns_to_datetime(p.last_seen_ns),
        example=p.example,
        services=views.pattern_services(p.services),
        max_level=level_of(p.max_severity),
        volume=[
            VolumePoint(minute=ns_to_datetime(m * MINUTE_NS), count=c)
            for m, c in sorted(volume.items())
        ],
    )


@router.get("/patterns", response_model=PatternPage, summary="Get log patterns")
async def list_patterns(
    session: SessionDep,
    _principal: Reader,
    service_name: Annotated[str | None, Query()] = None,
    contains: Annotated[str | None, Query(description="Text in the template.")] = None,
    errors_only: bool = False,
    volume_minutes: Annotated[int, Query(ge=0, le=1440)] = 60,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> PatternPage:
    """Mined templates, busiest first, each with count, first/last seen, an example,
    its services and a per-minute volume series over the last `volume_minutes`."""
    stmt = select(LogPattern)
    if service_name:
        stmt = stmt.where(LogPattern.services.contains(f'"{service_name}"'))
    if contains:
        stmt = stmt.where(LogPattern.template.ilike(f"%{contains}%"))
    if errors_only:
        stmt = stmt.where(LogPattern.error_count > 0)
    if cursor:
        count, pid = decode_cursor(cursor, 2)
        stmt = stmt.where(
            (LogPattern.count < count) | ((LogPattern.count == count) & (LogPattern.id > pid))
        )
    stmt = stmt.order_by(LogPattern.count.desc(), LogPattern.id).limit(limit + 1)
    rows = list((await session.execute(stmt)).scalars().all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].count, rows[-1].id])
    since = time.time_ns() // MINUTE_NS - volume_minutes
    volumes = await views.pattern_volumes(session, [p.id for p in rows], since)
    return PatternPage(
        items=[_pattern(p, volumes.get(p.id, {})) for p in rows], next_cursor=next_cursor
    )


@router.get("/patterns/{pattern_id}", response_model=Pattern, summary="One log pattern")
async def get_pattern(
    pattern_id: int,
    session: SessionDep,
    _principal: Reader,
    volume_minutes: Annotated[int, Query(ge=0, le=10080)] = 60,
) -> Pattern:
    pattern = await session.get(LogPattern, pattern_id)
    if pattern is None:
        raise NotFound(f"No log pattern {pattern_id}.")
    since = time.time_ns() // MINUTE_NS - volume_minutes
    volumes = await views.pattern_volumes(session, [pattern_id], since)
    return _pattern(pattern, volumes.get(pattern_id, {}))


@router.get("/anomalies", response_model=AnomalyReport, summary="Get anomalous logs")
async def get_anomalies(
    session: SessionDep,
    _principal: Reader,
    window_minutes: Annotated[int, Query(ge=1, le=120)] = 5,
    baseline_minutes: Annotated[int, Query(ge=5, le=1440)] = 60,
    end: EndQ = None,
) -> AnomalyReport:
    """New patterns, per-pattern volume spikes (robust z-score against the baseline
    minutes) and per-service error-rate spikes, highest score first."""
    end_ns = int(end.timestamp() * 1e9) if end else time.time_ns()
    window, found = await views.anomalies(session, end_ns, window_minutes, baseline_minutes)
    return AnomalyReport(
        window_start=ns_to_datetime(window.start * MINUTE_NS),
        window_end=ns_to_datetime(window.end * MINUTE_NS),
        baseline_start=ns_to_datetime(window.baseline_start * MINUTE_NS),
        anomalies=[
            AnomalyOut(
                kind=a.kind,
                subject=a.subject,
                score=a.score,
                window_start=ns_to_datetime(a.window_start_minute * MINUTE_NS),
                window_end=ns_to_datetime(a.window_end_minute * MINUTE_NS),
                explanation=a.explanation,
                details=a.details,
            )
            for a in found
        ],
    )


@router.get("/errors", response_model=list[ErrorGroup], summary="Get error logs")
async def get_errors(
    session: SessionDep,
    _principal: Reader,
    service_name: ServiceQ = None,
    start: StartQ = None,
    end: EndQ = None,
    since: SinceQ = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[ErrorGroup]:
    """ERROR and FATAL lines grouped like an error tracker's issues: by exception type
    (attribute exception.type) or else by pattern; default range the last 24 hours."""
    start_ns, end_ns = _range(start, end, since, timedelta(hours=24))
    postgres = session.get_bind().dialect.name == "postgresql"
    groups = await views.error_groups(
        session,
        postgres,
        start_ns or 0,
        end_ns or time.time_ns() + 1,
        service_name or [],
        limit,
    )
    return [
        ErrorGroup(
            group=g["group"],
            exception_type=g["exception_type"],
            pattern_id=g["pattern_id"],
            template=g["template"],
            count=g["count"],
            first_seen=ns_to_datetime(g["first_ns"]),
            last_seen=ns_to_datetime(g["last_ns"]),
            services=g["services"],
            sample=LogHit.of(g["sample"]) if g["sample"] is not None else None,
        )
        for g in groups
    ]


@router.get("/statistics", response_model=Statistics, summary="Get statistics")
async def get_statistics(
    request: Request,
    session: SessionDep,
    _principal: Reader,
    service_name: ServiceQ = None,
    start: StartQ = None,
    end: EndQ = None,
    since: SinceQ = None,
    step: Annotated[str | None, Query(description="Bucket width, e.g. 1m, 5m, 1h.")] = None,
    query: Annotated[
        str, Query(description="Count only the lines this search matches (as in /search).")
    ] = "",
    level: Annotated[str | None, Query(description="Levels, e.g. ERROR or warn,error.")] = None,
    trace_id: Annotated[str | None, Query(pattern=r"^[0-9a-fA-F]{32}$")] = None,
    nl: Annotated[bool | None, Query(description="As in /search.")] = None,
) -> Statistics:
    """Counts by level and by service, in total and per time bucket (default: the last
    hour in 1-minute steps). With `query`, `level` or `trace_id`: of the lines that
    search matches (a search's volume histogram)."""
    start_ns, end_ns = _range(start, end, since, timedelta(hours=1))
    end_ns = end_ns or time.time_ns()
    assert start_ns is not None
    span = end_ns - start_ns
    if step:
        try:
            step_ns = int(parse_duration(step).total_seconds() * 1e9)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
    else:
        step_ns = max(MINUTE_NS, span // 60)
    if step_ns <= 0 or span // step_ns > views.MAX_BUCKETS:
        raise BadRequest(f"step is too small: at most {views.MAX_BUCKETS} buckets per request")
    conditions: list[object] = []
    params: dict[str, object] = {}
    trace = None
    if query.strip() or level or trace_id:
        runtime: LogsRuntime = request.app.state.logs
        ask = service.SearchRequest(
            text=query, levels=level, trace_id=trace_id.lower() if trace_id else None, natural=nl
        )
        try:
            structured, _natural, _notes = await service.interpret(
                session, ask, set(runtime.services)
            )
        except QuerySyntaxError as exc:
            raise BadRequest(f"The query cannot be read: {exc}") from exc
        postgres = session.get_bind().dialect.name == "postgresql"
        indexed = int((await derive.freshness(session))["indexed_through_id"])
        trace = await trace_refs.for_trace(session, structured.trace_id)
        conditions = search.filters(structured, postgres, indexed, trace)
        fts = None if postgres else search.fts5_expression(structured)
        params = {"fts": fts} if fts else {}
    rows = await views.statistics(
        session, start_ns, end_ns, step_ns, service_name or [], conditions, params, trace
    )
    buckets: dict[int, StatisticsBucket] = {}
    by_level: dict[str, int] = {}
    by_service: dict[str, int] = {}
    for bucket_ns, svc, lvl, count in rows:
        b = buckets.get(bucket_ns)
        if b is None:
            b = buckets[bucket_ns] = StatisticsBucket(
                start=ns_to_datetime(bucket_ns), total=0, by_level={}, by_service={}
            )
        b.total += count
        b.by_level[lvl] = b.by_level.get(lvl, 0) + count
        b.by_service[svc] = b.by_service.get(svc, 0) + count
        by_level[lvl] = by_level.get(lvl, 0) + count
        by_service[svc] = by_service.get(svc, 0) + count
    return Statistics(
        start=ns_to_datetime(start_ns),
        end=ns_to_datetime(end_ns),
        step_seconds=step_ns // 10**9,
        total=sum(by_level.values()),
        by_level=by_level,
        by_service=by_service,
        series=[buckets[k] for k in sorted(buckets)],
    )


@router.get("/trace/{trace_id}", response_model=TraceLogs, summary="Correlate with trace")
async def get_trace_logs(
    trace_id: str,
    session: SessionDep,
    _principal: Reader,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> TraceLogs:
    """The trace's log lines in time order, each with its span id."""
    if not _TRACE_ID.match(trace_id):
        raise BadRequest("trace_id must be 32 hex characters")
    trace_id = trace_id.lower()
    records = await views.trace_logs(session, trace_id, limit)
    if not records:
        raise NotFound(f"No log lines for trace {trace_id}.")
    return TraceLogs(
        trace_id=trace_id,
        trace_url=f"/api/tracing/traces/{trace_id}",
        count=len(records),
        items=[LogHit.of(r) for r in records],
    )
