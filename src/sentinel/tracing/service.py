"""Tracing operations behind the REST and Jaeger APIs."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.api.errors import BadRequest, NotFound
from sentinel.api.pagination import decode_cursor, encode_cursor
from sentinel.storage.engine import Database
from sentinel.tracing import block_store, payload, schemas, sketch, stats, store, tree
from sentinel.tracing.ingest import store_spans
from sentinel.tracing.models import Span
from sentinel.tracing.records import (
    KIND_NAMES,
    STATUS_ERROR,
    STATUS_NAMES,
    STATUS_OK,
    STATUS_UNSET,
    SpanBatch,
    add_resource,
    add_span,
)
from sentinel.tracing.rollup import ENTRY_KINDS, NS_PER_MINUTE
from sentinel.tracing.runtime import TracingRuntime
from sentinel.tracing.summary import TraceSummary, summarize_all

MAX_STEPS = 1440


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @classmethod
    def of(
        cls, start: datetime | None, end: datetime | None, default: timedelta = timedelta(hours=1)
    ) -> Window:
        end = end or datetime.now(UTC)
        start = start or end - default
        if start >= end:
            raise BadRequest("The time range is empty: start must be before end.")
        return cls(start, end)

    @property
    def start_ns(self) -> int:
        return int(self.start.timestamp()) * 1_000_000_000 + self.start.microsecond * 1000

    @property
    def end_ns(self) -> int:
        return int(self.end.timestamp()) * 1_000_000_000 + self.end.microsecond * 1000

    @property
    def minutes(self) -> tuple[int, int]:
        return self.start_ns // NS_PER_MINUTE, (self.end_ns - 1) // NS_PER_MINUTE


def ns_to_datetime(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, UTC)


# ------------------------------------------------------------------------------ writes


def _status(value: int | str | None) -> int:
    if value is None or value == "unset":
        return STATUS_UNSET
    if value == "error" or (isinstance(value, int) and value >= 500):
        return STATUS_ERROR
    return STATUS_OK


async def record_span(
    db: Database, runtime: TracingRuntime, body: schemas.CreateTrace, trace_id: str | None = None
) -> schemas.CreatedSpan:
    """Store one span built from the brief's fields; a new trace when `trace_id` is None."""
    end = body.end_time or body.start_time
    if end < body.start_time:
        raise BadRequest("end_time is before start_time.")
    trace_id = (trace_id or os.urandom(16).hex()).lower()
    span_id = (getattr(body, "span_id", None) or os.urandom(8).hex()).lower()
    attributes: dict[str, Any] = dict(body.attributes)
    if body.http_method:
        attributes["http.request.method"] = body.http_method.upper()
    if body.http_url:
        attributes["url.full"] = body.http_url
    if isinstance(body.status_code, int):
        attributes["http.response.status_code"] = body.status_code
    parent = (getattr(body, "parent_span_id", None) or "").lower()
    kind, start, end_ns, status = (
        KIND_NAMES.index(body.kind),
        _ns(body.start_time),
        _ns(end),
        _status(body.status_code),
    )
    batch = SpanBatch()
    rid, service = add_resource(batch, {"service.name": body.service_name}, "sentinel.api", "")
    encoded = payload.encode_span(
        trace_id, span_id, parent, body.operation_name, kind, start, end_ns, status, attributes
    )
    add_span(
        batch,
        trace_id,
        span_id,
        parent,
        service,
        body.operation_name,
        kind,
        start,
        end_ns,
        status,
        "",
        rid,
        encoded,
    )
    if batch.rejected:
        raise BadRequest("; ".join(batch.problems))
    await store_spans(db, runtime, batch)
    return schemas.CreatedSpan(trace_id=trace_id, span_id=span_id)


def _ns(value: datetime) -> int:
    return int(value.timestamp()) * 1_000_000_000 + value.microsecond * 1000


async def require_trace(session: AsyncSession, trace_id: str, parent_span_id: str | None) -> None:
    """404 unless the trace (and the parent span, when named) exists."""
    stmt = select(Span.span_id).where(Span.trace_id == trace_id.lower())
    if parent_span_id:
        stmt = stmt.where(Span.span_id == parent_span_id.lower())
    if (await session.execute(stmt.limit(1))).first() is None:
        what = f"span {parent_span_id} in trace" if parent_span_id else "trace"
        raise NotFound(f"No {what} {trace_id}.")


# ------------------------------------------------------------------------------- reads


def summary_out(summary: TraceSummary) -> dict[str, Any]:
    return {
        "trace_id": summary.trace_id,
        "root_service": summary.root_service,
        "root_operation": summary.root_operation,
        "start_time": ns_to_datetime(summary.start_ns),
        "start_ns": summary.start_ns,
        "duration_ns": summary.duration_ns,
        "duration_ms": summary.duration_ns / 1e6,
        "span_count": summary.span_count,
        "error_count": summary.error_count,
        "services": summary.services,
        "complete": summary.complete,
    }


async def get_trace(
    session: AsyncSession, trace_id: str, from_blocks: bool = False
) -> schemas.TraceView:
    """Every span of a trace as a tree, with self time and the critical path marked; read
    from the block store when `from_blocks` (SENTINEL_TRACES_BLOCKS)."""
    spans: Sequence[Any]
    resources: dict[int, Any]
    if from_blocks:
        spans, resources = await block_store.trace_spans(session, [trace_id.lower()])
    else:
        spans = await store.trace_spans(session, trace_id.lower())
        resources = await store.resources(session, {s.resource_id for s in spans})
    if not spans:
        raise NotFound(f"No trace {trace_id}.")
    nodes = [tree.TreeSpan(s.span_id, s.parent_span_id, s.start_ns, s.duration_ns) for s in spans]
    built = tree.build(nodes)
    rows = {s.span_id: s for s in spans}
    summary = summarize_all(spans)[trace_id.lower()]

    def out(node: tree.TreeSpan) -> schemas.SpanNode:
        span = rows[node.span_id]
        resource = resources.get(span.resource_id)
        details = payload.decode(span.payload)
        return schemas.SpanNode(
            trace_id=span.trace_id,
            span_id=span.span_id,
            parent_span_id=span.parent_span_id or None,
            service=span.service,
            operation=span.name,
            kind=KIND_NAMES[span.kind] if 0 <= span.kind < len(KIND_NAMES) else "unspecified",
            start_time=ns_to_datetime(span.start_ns),
            start_ns=span.start_ns,
            duration_ns=span.duration_ns,
            duration_ms=span.duration_ns / 1e6,
            self_time_ns=node.self_ns,
            self_time_ms=node.self_ns / 1e6,
            on_critical_path=node.on_critical_path,
            critical_path_ns=node.critical_ns,
            depth=node.depth,
            status=STATUS_NAMES[span.status_code] if span.status_code < 3 else "unset",
            status_message=span.status_message,
            error=span.is_error,
            http_method=span.http_method,
            http_route=span.http_route,
            http_status_code=span.http_status_code,
            db_system=span.db_system,
            peer_service=span.peer_service,
            attributes=payload.attributes(details),
            resource=orjson.loads(resource.attributes) if resource else {},
            scope={
                "name": resource.scope_name if resource else "",
                "version": resource.scope_version if resource else "",
            },
            events=[
                schemas.SpanEvent(
                    time=ns_to_datetime(e["t"]),
                    time_ns=e["t"],
                    name=e["name"],
                    attributes=e["attributes"],
                )
                for e in payload.events(details)
            ],
            links=[schemas.SpanLink(**link) for link in payload.links(details)],
            children=[out(child) for child in node.children],
        )

    return schemas.TraceView(
        **summary_out(summary),
        critical_path=[n.span_id for n in built.walk() if n.on_critical_path],
        roots=[out(root) for root in built.roots],
    )


async def search_traces(
    session: AsyncSession,
    query: store.SpanQuery,
    sort: store.SortKey,
    limit: int,
    cursor: str | None,
) -> schemas.TraceSearchPage:
    """Traces with a span matching every condition, newest (or slowest) first."""
    after = None
    if cursor:
        value, trace_id = decode_cursor(cursor, 2)
        if not isinstance(value, int) or not isinstance(trace_id, str):
            raise BadRequest("The cursor is not valid; use next_cursor from a previous page.")
        after = (value, trace_id)
    hits = await store.search_trace_ids(session, query, sort, limit + 1, after)
    more = len(hits) > limit
    hits = hits[:limit]
    summaries = summarize_all(await store.trace_outlines(session, [t for t, _ in hits]))
    items = [schemas.TraceSummaryOut(**summary_out(summaries[t])) for t, _ in hits]
    next_cursor = encode_cursor([hits[-1][1], hits[-1][0]]) if more and hits else None
    return schemas.TraceSearchPage(items=items, next_cursor=next_cursor)


def _edge(caller: str, callee: str, traced: bool, parts: list[Any]) -> schemas.EdgeStats:
    count = sum(p.count for p in parts)
    errors = sum(p.error_count for p in parts)
    return schemas.EdgeStats(
        caller=caller,
        callee=callee,
        traced=traced,
        call_count=count,
        error_count=errors,
        error_rate=errors / count if count else 0.0,
        **stats.merged_percentiles(p.sketch for p in parts),
    )


async def _edges(session: AsyncSession, window: Window, service: str | None) -> list[Any]:
    first, last = window.minutes
    grouped: dict[tuple[str, str, bool], list[Any]] = defaultdict(list)
    for row in await store.edge_rollups(session, first, last, service):
        grouped[(row.caller, row.callee, bool(row.traced))].append(row)
    traced = {(c, d) for (c, d, t) in grouped if t}
    edges = []
    for (caller, callee, is_traced), parts in sorted(grouped.items()):
        # An untraced edge to a service that is traced from the same caller is the same
        # call seen from the client side before its server span arrived.
        if not is_traced and (caller, callee) in traced:
            continue
        edges.append(_edge(caller, callee, is_traced, parts))
    return edges


async def dependencies(
    session: AsyncSession, service: str, window: Window
) -> schemas.ServiceDependencies:
    """Upstream and downstream services of one service, with per-edge call statistics."""
    if not await store.service_known(session, service):
        raise NotFound(f"No spans or calls have been seen for service {service!r}.")
    edges = await _edges(session, window, service)
    return schemas.ServiceDependencies(
        service=service,
        start=window.start,
        end=window.end,
        upstream=[e for e in edges if e.callee == service],
        downstream=[e for e in edges if e.caller == service],
    )


async def dependency_graph(session: AsyncSession, window: Window) -> schemas.DependencyGraph:
    edges = await _edges(session, window, None)
    names = {e.caller for e in edges} | {e.callee for e in edges}
    first, _ = window.minutes
    names |= set(await store.services(session, first))
    return schemas.DependencyGraph(
        start=window.start, end=window.end, services=sorted(names), edges=edges
    )


def step_minutes(window: Window, step_seconds: int | None) -> int:
    first, last = window.minutes
    span = last - first + 1
    if step_seconds is None:
        return max(1, -(-span // 60))  # about 60 points
    if step_seconds % 60:
        raise BadRequest("step must be a whole number of minutes (rollups are per minute).")
    step = step_seconds // 60
    if -(-span // step) > MAX_STEPS:
        raise BadRequest(f"step is too small for this range: at most {MAX_STEPS} points.")
    return step


async def statistics(
    session: AsyncSession,
    window: Window,
    service: str | None,
    operation: str | None,
    step_seconds: int | None,
) -> schemas.Statistics:
    """Rate, error rate and latency percentiles from per-minute rollups."""
    first, last = window.minutes
    step = step_minutes(window, step_seconds)
    rows = await store.operation_rollups(session, first, last, service, operation)
    kinds = await store.latest_kinds(session, sorted({(r.service, r.name) for r in rows}))
    entry = [key for key, kind in kinds.items() if kind in ENTRY_KINDS]
    result = stats.rollup_statistics(rows, first, last, step, entry)
    for part in (*result["operations"], *result["services"]):
        for point in part["series"]:
            point["time"] = datetime.fromtimestamp(point.pop("time_minute") * 60, UTC)
    return schemas.Statistics(start=window.start, end=window.end, step_seconds=step * 60, **result)


async def slow_traces(
    session: AsyncSession, window: Window, service: str | None, percentile: float, limit: int
) -> schemas.SlowTraces:
    """The slowest traces in the window, and traces slower than their root operation's
    percentile (from the rollups of the same window)."""
    root_ops = await store.root_operations(session, window.start_ns, window.end_ns, service)
    slowest = await store.slowest_roots(session, window.start_ns, window.end_ns, root_ops, limit)
    first, last = window.minutes
    rows = await store.operation_rollups(session, first, last, service)
    blobs: dict[tuple[str, str], list[bytes]] = defaultdict(list)
    for row in rows:
        blobs[(row.service, row.name)].append(row.sketch)
    thresholds: dict[tuple[str, str], int] = {}
    for key in root_ops[:200]:
        if key in blobs:
            merged = sketch.MergedBins()
            for blob in blobs[key]:
                merged.add_encoded(blob)
            value = merged.quantile(percentile)
            if value is not None:
                thresholds[key] = int(value)
    above = await store.roots_slower_than(
        session, window.start_ns, window.end_ns, thresholds, limit
    )
    summaries = summarize_all(
        await store.trace_outlines(session, list({r.trace_id for r in [*slowest, *above]}))
    )

    def out(row: Any) -> schemas.SlowTrace:
        threshold = thresholds.get((row.service, row.name))
        return schemas.SlowTrace(
            **summary_out(summaries[row.trace_id]),
            threshold_ms=None if threshold is None else threshold / 1e6,
        )

    return schemas.SlowTraces(
        start=window.start,
        end=window.end,
        percentile=percentile,
        slowest=[out(r) for r in slowest],
        above_percentile=[out(r) for r in above],
    )
