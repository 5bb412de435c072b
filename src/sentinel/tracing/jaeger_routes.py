"""Jaeger query API v1 under /jaeger/api: Grafana's Jaeger data source and the Jaeger UI
read Sentinel's traces through it."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response

from sentinel.api.deps import Reader, SessionDep
from sentinel.api.errors import BadRequest
from sentinel.tracing import block_store, jaeger, service, store
from sentinel.tracing.filters import AttributeFilter
from sentinel.tracing.records import KIND_NAMES
from sentinel.tracing.routes import normalize_trace_id

router = APIRouter(prefix="/jaeger/api", tags=["jaeger"])
DEFAULT_LOOKBACK_US = 3600 * 1_000_000


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _error(status: int, message: str) -> Response:
    """Jaeger's error envelope, with the RFC 9457 fields beside it."""
    body = jaeger.envelope(None, [{"code": status, "msg": message}])
    body.update({"type": f"/problems/jaeger-{status}", "status": status, "detail": message})
    return _json(body, status)


@router.get("/services", summary="Jaeger: services")
async def services(session: SessionDep, _principal: Reader) -> Response:
    return _json(jaeger.envelope(await store.services(session)))


@router.get("/services/{service_name}/operations", summary="Jaeger: operations of a service")
async def operations(service_name: str, session: SessionDep, _principal: Reader) -> Response:
    names = [n for n, _ in await store.operations(session, service_name)]
    return _json(jaeger.envelope(names))


@router.get("/operations", summary="Jaeger: operations with span kind")
async def operations_with_kind(
    session: SessionDep,
    _principal: Reader,
    service_name: Annotated[str, Query(alias="service")],
    span_kind: Annotated[str | None, Query(alias="spanKind")] = None,
) -> Response:
    names = [n for n, _ in await store.operations(session, service_name)]
    kinds = await store.span_kinds(session, service_name, names)
    data = [
        {"name": n, "spanKind": KIND_NAMES[kinds.get(n, 0)] if kinds.get(n) else ""} for n in names
    ]
    if span_kind:
        data = [d for d in data if d["spanKind"] == span_kind]
    return _json(jaeger.envelope(data))


@router.get("/traces", summary="Jaeger: search traces")
async def find_traces(
    request: Request,
    session: SessionDep,
    _principal: Reader,
    service_name: Annotated[str | None, Query(alias="service")] = None,
    operation: str | None = None,
    tags: str | None = None,
    tag: Annotated[list[str] | None, Query()] = None,
    min_duration: Annotated[str | None, Query(alias="minDuration")] = None,
    max_duration: Annotated[str | None, Query(alias="maxDuration")] = None,
    start: Annotated[int | None, Query(description="Microseconds since the epoch.")] = None,
    end: Annotated[int | None, Query(description="Microseconds since the epoch.")] = None,
    lookback: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1500)] = 20,
) -> Response:
    """Full traces with a span matching service, operation, tags and duration, newest first."""
    try:
        wanted = jaeger.parse_tags(tags, tag or [])
        min_ns = jaeger.parse_go_duration(min_duration) if min_duration else None
        max_ns = jaeger.parse_go_duration(max_duration) if max_duration else None
        end_us = end or time.time_ns() // 1000
        if start is None:
            back = lookback if lookback and lookback != "custom" else None
            start_us = end_us - (
                jaeger.parse_go_duration(back) // 1000 if back else DEFAULT_LOOKBACK_US
            )
        else:
            start_us = start
    except ValueError as exc:
        return _error(400, str(exc))
    if start_us >= end_us:
        return _error(400, "start must be before end")
    query = store.SpanQuery(
        start_ns=start_us * 1000,
        end_ns=end_us * 1000,
        service=service_name,
        operation=operation or None,
        attributes=tuple(AttributeFilter(k, "=", v) for k, v in wanted.items()),
        min_duration_ns=min_ns,
        max_duration_ns=max_ns,
    )
    hits = await store.search_trace_ids(session, query, "start", limit, None)
    traces = await _full_traces(request, session, [t for t, _ in hits])
    return _json(jaeger.envelope(traces))


async def _full_traces(
    request: Request, session: SessionDep, trace_ids: list[str]
) -> list[dict[str, Any]]:
    """The traces in Jaeger's model, from the block store with SENTINEL_TRACES_BLOCKS."""
    spans: Sequence[Any]
    resources: dict[int, Any]
    if request.app.state.tracing.blocks:
        spans, resources = await block_store.trace_spans(session, trace_ids)
    else:
        spans = await store.spans_of_traces(session, trace_ids)
        resources = await store.resources(session, {s.resource_id for s in spans})
    spans_by_trace: dict[str, list[Any]] = defaultdict(list)
    for span in spans:
        spans_by_trace[span.trace_id].append(span)
    return [jaeger.trace_json(spans_by_trace[t], resources) for t in trace_ids if spans_by_trace[t]]


@router.get("/traces/{trace_id}", summary="Jaeger: one trace")
async def get_trace(
    trace_id: str, request: Request, session: SessionDep, _principal: Reader
) -> Response:
    try:
        normalized = normalize_trace_id(trace_id)
    except BadRequest as exc:
        return _error(400, exc.detail)
    traces = await _full_traces(request, session, [normalized])
    if not traces:
        return _error(404, "trace not found")
    return _json(jaeger.envelope(traces))


@router.get("/dependencies", summary="Jaeger: service dependency links")
async def dependencies(
    session: SessionDep,
    _principal: Reader,
    end_ts: Annotated[int | None, Query(alias="endTs", description="Milliseconds.")] = None,
    lookback: Annotated[int | None, Query(description="Milliseconds.")] = None,
) -> Response:
    end_ms = end_ts or time.time_ns() // 1_000_000
    start_ms = end_ms - (lookback or 24 * 3600 * 1000)
    if start_ms >= end_ms:
        return _error(400, "lookback must be positive")
    window = service.Window.of(service.ns_to_datetime(start_ms * 1_000_000),
                               service.ns_to_datetime(end_ms * 1_000_000))  # fmt: skip
    graph = await service.dependency_graph(session, window)
    links = [
        {"parent": e.caller, "child": e.callee, "callCount": e.call_count} for e in graph.edges
    ]
    return _json(jaeger.envelope(links))
