"""API shapes of the tracing domain (never ORM objects)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from sentinel.timeutil import UtcDatetime


class CreateTrace(BaseModel):
    """The brief's trace: one root span."""

    service_name: str = Field(min_length=1, max_length=255)
    operation_name: str = Field(min_length=1, max_length=255)
    start_time: UtcDatetime
    end_time: UtcDatetime | None = None
    status_code: int | Literal["ok", "error", "unset"] | None = Field(
        None, description="An HTTP status (>= 500 marks the span as an error) or ok/error."
    )
    http_method: str | None = Field(None, max_length=16)
    http_url: str | None = Field(None, max_length=2048)
    kind: Literal["server", "client", "internal", "producer", "consumer"] = "server"
    attributes: dict[str, str | int | float | bool] = Field(default_factory=dict, max_length=128)


class CreateSpan(CreateTrace):
    """A span added to an existing trace."""

    trace_id: str = Field(pattern=r"^[0-9a-fA-F]{32}$")
    parent_span_id: str | None = Field(None, pattern=r"^[0-9a-fA-F]{16}$")
    span_id: str | None = Field(None, pattern=r"^[0-9a-fA-F]{16}$")
    kind: Literal["server", "client", "internal", "producer", "consumer"] = "internal"


class CreatedSpan(BaseModel):
    trace_id: str
    span_id: str


class SpanEvent(BaseModel):
    time: datetime
    time_ns: int
    name: str
    attributes: dict[str, Any]


class SpanLink(BaseModel):
    trace_id: str
    span_id: str
    trace_state: str = ""
    attributes: dict[str, Any]


class SpanNode(BaseModel):
    trace_id: str
    span_id: str
    parent_span_id: str | None
    service: str
    operation: str
    kind: str
    start_time: datetime
    start_ns: int
    duration_ns: int
    duration_ms: float
    self_time_ns: int
    self_time_ms: float
    on_critical_path: bool
    critical_path_ns: int
    depth: int
    status: str
    status_message: str
    error: bool
    http_method: str | None
    http_route: str | None
    http_status_code: int | None
    db_system: str | None
    peer_service: str | None
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope: dict[str, str]
    events: list[SpanEvent]
    links: list[SpanLink]
    children: list[SpanNode]


class TraceSummaryOut(BaseModel):
    trace_id: str
    root_service: str
    root_operation: str
    start_time: datetime
    start_ns: int
    duration_ns: int
    duration_ms: float
    span_count: int
    error_count: int
    services: dict[str, int] = Field(description="Spans per service.")
    complete: bool = Field(description="False while the root span has not arrived.")


class TraceView(TraceSummaryOut):
    critical_path: list[str] = Field(description="Span ids holding the critical path.")
    roots: list[SpanNode]


class TraceSearchPage(BaseModel):
    items: list[TraceSummaryOut]
    next_cursor: str | None = None


class EdgeStats(BaseModel):
    caller: str
    callee: str
    traced: bool = Field(description="False when only the caller's client spans name it.")
    call_count: int
    error_count: int
    error_rate: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


class ServiceDependencies(BaseModel):
    service: str
    start: datetime
    end: datetime
    upstream: list[EdgeStats]
    downstream: list[EdgeStats]


class DependencyGraph(BaseModel):
    start: datetime
    end: datetime
    services: list[str]
    edges: list[EdgeStats]


class StatisticsPoint(BaseModel):
    time: datetime
    count: int
    error_count: int
    rate_per_second: float
    error_rate: float
    avg_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


class StatisticsTotals(BaseModel):
    count: int
    error_count: int
    rate_per_second: float
    error_rate: float
    avg_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


class OperationStatistics(StatisticsTotals):
    service: str
    operation: str
    series: list[StatisticsPoint]


class ServiceStatistics(StatisticsTotals):
    service: str
    basis: Literal["entry_spans", "all_spans"] = Field(
        description="entry_spans: the requests the service served (its server and consumer "
        "spans); all_spans: it has no such spans, so every span of it counts."
    )
    operations: int = Field(description="Operations of the service seen in the range.")
    series: list[StatisticsPoint]


class Statistics(BaseModel):
    start: datetime
    end: datetime
    step_seconds: int
    totals: StatisticsTotals
    operations: list[OperationStatistics]
    services: list[ServiceStatistics] = Field(
        description="Per service: rate, error rate and latency of the requests it served."
    )


class SlowTrace(TraceSummaryOut):
    threshold_ms: float | None = Field(
        None, description="The operation's percentile this trace exceeded."
    )


class SlowTraces(BaseModel):
    start: datetime
    end: datetime
    percentile: float
    slowest: list[SlowTrace]
    above_percentile: list[SlowTrace]


class OperationOut(BaseModel):
    service: str
    operation: str
