"""The log API's shapes (never ORM objects)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, Field

from sentinel.logs.models import LogRecord


def ns_to_datetime(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, UTC)


class IngestResult(BaseModel):
    """How many records were stored, how many rejected, and why (first few reasons)."""

    accepted: int
    rejected: int = 0
    errors: list[str] = Field(default_factory=list)


class LogHit(BaseModel):
    id: int
    timestamp: datetime
    time_ns: int
    observed_ns: int
    service_name: str
    level: str
    severity_number: int
    message: str
    trace_id: str | None = None
    span_id: str | None = None
    trace_url: str | None = Field(None, description="The trace of this line, when it has one.")
    pattern_id: int | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    resource: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, r: LogRecord) -> LogHit:
        return cls(
            id=r.id,
            timestamp=ns_to_datetime(r.time_ns),
            time_ns=r.time_ns,
            observed_ns=r.observed_ns,
            service_name=r.service,
            level=r.severity_text,
            severity_number=r.severity_number,
            message=r.body,
            trace_id=r.trace_id or None,
            span_id=r.span_id or None,
            trace_url=f"/api/tracing/traces/{r.trace_id}" if r.trace_id else None,
            pattern_id=r.pattern_id,
            attributes=orjson.loads(r.attributes) if r.attributes != "{}" else {},
            resource=orjson.loads(r.resource) if r.resource != "{}" else {},
        )


class IndexFreshness(BaseModel):
    """How far the derived work (full-text index, patterns) has got."""

    indexed_through_id: int
    pending_records: int
    updated_at: datetime | None = None
    note: str


class SearchResponse(BaseModel):
    items: list[LogHit]
    next_cursor: str | None = None
    count: int
    natural_language: bool
    query: dict[str, Any] = Field(description="The structured query that ran.")
    interpretation: list[str] = Field(default_factory=list)
    index: IndexFreshness


class VolumePoint(BaseModel):
    minute: datetime
    count: int


class Pattern(BaseModel):
    id: int
    template: str
    count: int
    error_count: int
    first_seen: datetime
    last_seen: datetime
    example: str
    services: list[str]
    max_level: str
    volume: list[VolumePoint] = Field(default_factory=list)


class PatternPage(BaseModel):
    items: list[Pattern]
    next_cursor: str | None = None


class AnomalyOut(BaseModel):
    kind: str
    subject: str
    score: float
    window_start: datetime
    window_end: datetime
    explanation: str
    details: dict[str, Any] = Field(default_factory=dict)


class AnomalyReport(BaseModel):
    window_start: datetime
    window_end: datetime
    baseline_start: datetime
    anomalies: list[AnomalyOut]


class ErrorGroup(BaseModel):
    """An error-tracker issue: error/fatal lines of one exception type or pattern."""

    group: str
    exception_type: str | None = None
    pattern_id: int | None = None
    template: str | None = None
    count: int
    first_seen: datetime
    last_seen: datetime
    services: list[str]
    sample: LogHit | None = None


class StatisticsBucket(BaseModel):
    start: datetime
    total: int
    by_level: dict[str, int]
    by_service: dict[str, int]


class Statistics(BaseModel):
    start: datetime
    end: datetime
    step_seconds: int
    total: int
    by_level: dict[str, int]
    by_service: dict[str, int]
    series: list[StatisticsBucket]


class TraceLogs(BaseModel):
    trace_id: str
    trace_url: str
    count: int
    items: list[LogHit]
