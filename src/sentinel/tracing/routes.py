"""The tracing REST API under /api/tracing (the brief's endpoints and the lists a UI needs)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from sentinel.api.deps import Reader, SessionDep
from sentinel.api.errors import BadRequest, NotFound
from sentinel.ingest.auth import IngestKey
from sentinel.storage.engine import Database
from sentinel.timeutil import UtcDatetime
from sentinel.tracing import filters, schemas, service, store

router = APIRouter(prefix="/api/tracing", tags=["tracing"])

StartQ = Annotated[
    UtcDatetime | None, Query(description="Range start, RFC 3339 or epoch (default: end - 1h).")
]
EndQ = Annotated[
    UtcDatetime | None, Query(description="Range end, RFC 3339 or epoch (default: now).")
]


def normalize_trace_id(trace_id: str) -> str:
    """Lowercase 32-hex; shorter hex ids (64-bit Jaeger/Zipkin ids) are left-padded."""
    text = trace_id.strip().lower()
    if not text or len(text) > 32 or any(c not in "0123456789abcdef" for c in text):
        raise BadRequest(f"{trace_id!r} is not a trace id: expected up to 32 hex characters.")
    return text.rjust(32, "0")


@router.post("/traces", status_code=201, summary="Create a trace (one root span)")
async def create_trace(
    body: schemas.CreateTrace, request: Request, _principal: IngestKey
) -> schemas.CreatedSpan:
    """The brief's trace: a root span from service, operation, times and HTTP fields."""
    return await service.record_span(request.app.state.db, request.app.state.tracing, body)


@router.post("/spans", status_code=201, summary="Add a span to an existing trace")
async def create_span(
    body: schemas.CreateSpan, request: Request, _principal: IngestKey
) -> schemas.CreatedSpan:
    """404 when the trace (or the named parent span) is not stored."""
    trace_id = normalize_trace_id(body.trace_id)
    db: Database = request.app.state.db
    async with db.transaction() as session:  # short: the write takes its own connection
        await service.require_trace(session, trace_id, body.parent_span_id)
    return await service.record_span(db, request.app.state.tracing, body, trace_id=trace_id)


@router.get("/traces/{trace_id}", summary="A trace as a tree", response_model=schemas.TraceView)
async def get_trace(
    trace_id: str, request: Request, session: SessionDep, _principal: Reader
) -> Response:
    """Every span as a tree, with self time per span and the critical path marked."""
    blocks = request.app.state.tracing.blocks
    view = await service.get_trace(session, normalize_trace_id(trace_id), blocks)
    # A 5,000-span trace is ~7 MB of JSON: pydantic writes it in one pass, several times
    # faster than FastAPI's re-validation, conversion to dicts and json.dumps.
    return Response(view.model_dump_json(), media_type="application/json")


@router.get("/traces", summary="Search traces")
async def search_traces(
    session: SessionDep,
    _principal: Reader,
    service_name: Annotated[str | None, Query(alias="service")] = None,
    operation: str | None = None,
    attribute: Annotated[
        list[str] | None,
        Query(
            description="Repeatable: key=value, key!=value (missing counts as different) or "
            "key (exists). Span attributes, then resource attributes."
        ),
    ] = None,
    min_duration_ms: Annotated[float | None, Query(ge=0)] = None,
    max_duration_ms: Annotated[float | None, Query(ge=0)] = None,
    status: Literal["error", "ok"] | None = None,
    start: StartQ = None,
    end: EndQ = None,
    sort: Literal["start", "duration"] = "start",
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    cursor: str | None = None,
) -> schemas.TraceSearchPage:
    """Traces with at least one span matching every condition. Each hit summarises its
    trace: root service and operation, span count, services, duration, errors."""
    window = service.Window.of(start, end)
    try:
        parsed = tuple(filters.parse_filter(a) for a in attribute or [])
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    query = store.SpanQuery(
        start_ns=window.start_ns,
        end_ns=window.end_ns,
        service=service_name,
        operation=operation,
        attributes=parsed,
        min_duration_ns=None if min_duration_ms is None else int(min_duration_ms * 1e6),
        max_duration_ns=None if max_duration_ms is None else int(max_duration_ms * 1e6),
        status=status,
    )
    return await service.search_traces(session, query, sort, limit, cursor)


@router.get("/services", summary="Services that sent spans")
async def list_services(session: SessionDep, _principal: Reader) -> list[str]:
    return await store.services(session)


@router.get("/services/{service_name}/operations", summary="Operations of a service")
async def list_operations(
    service_name: str, session: SessionDep, _principal: Reader
) -> list[schemas.OperationOut]:
    if not await store.service_known(session, service_name):
        raise NotFound(f"No spans have been seen for service {service_name!r}.")
    names = await store.operations(session, service_name)
    return [schemas.OperationOut(service=service_name, operation=n) for n, _ in names]


@router.get("/services/{service_name}/dependencies", summary="Dependencies of a service")
async def service_dependencies(
    service_name: str,
    session: SessionDep,
    _principal: Reader,
    start: StartQ = None,
    end: EndQ = None,
) -> schemas.ServiceDependencies:
    """Upstream and downstream services with call count, error rate and p50/p95/p99 per
    edge. Untraced callees come from client spans' peer.service / server.address."""
    return await service.dependencies(session, service_name, service.Window.of(start, end))


@router.get("/dependencies", summary="The whole service graph")
async def dependency_graph(
    session: SessionDep, _principal: Reader, start: StartQ = None, end: EndQ = None
) -> schemas.DependencyGraph:
    return await service.dependency_graph(session, service.Window.of(start, end))


@router.get("/statistics", summary="Rate, errors and latency percentiles")
async def statistics(
    session: SessionDep,
    _principal: Reader,
    service_name: Annotated[str | None, Query(alias="service")] = None,
    operation: str | None = None,
    start: StartQ = None,
    end: EndQ = None,
    step: Annotated[
        int | None, Query(ge=60, description="Series step in seconds (whole minutes).")
    ] = None,
) -> schemas.Statistics:
    """Per service and operation, as totals and as a time series, from per-minute rollups
    (long ranges never scan raw spans)."""
    window = service.Window.of(start, end)
    return await service.statistics(session, window, service_name, operation, step)


@router.get("/slow-traces", summary="Slow traces")
async def slow_traces(
    session: SessionDep,
    _principal: Reader,
    service_name: Annotated[str | None, Query(alias="service")] = None,
    start: StartQ = None,
    end: EndQ = None,
    percentile: Annotated[float, Query(gt=0, lt=1)] = 0.99,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> schemas.SlowTraces:
    """The slowest traces in the window, and traces slower than their root operation's
    percentile (default p99)."""
    window = service.Window.of(start, end)
    return await service.slow_traces(session, window, service_name, percentile, limit)
