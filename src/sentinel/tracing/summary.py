"""Trace summaries for search hits and slow-trace lists. Pure."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TraceSummary:
    trace_id: str
    root_service: str
    root_operation: str
    start_ns: int
    duration_ns: int
    span_count: int
    error_count: int
    services: dict[str, int]  # spans per service
    complete: bool  # the root span (no parent) has arrived


def summarize(trace_id: str, spans: Sequence[Any]) -> TraceSummary:
    """`spans` have trace_id, span_id, parent_span_id, service, name, start_ns,
    duration_ns and is_error (rows or objects)."""
    roots = [s for s in spans if not s.parent_span_id]
    complete = bool(roots)
    if not roots:
        # No root yet: the earliest span stands in (its parent is missing).
        roots = list(spans)
    root = min(roots, key=lambda s: (s.start_ns, -s.duration_ns))
    start = min(s.start_ns for s in spans)
    end = max(s.start_ns + s.duration_ns for s in spans)
    return TraceSummary(
        trace_id=trace_id,
        root_service=root.service,
        root_operation=root.name,
        start_ns=start,
        duration_ns=end - start,
        span_count=len(spans),
        error_count=sum(1 for s in spans if s.is_error),
        services=dict(sorted(Counter(s.service for s in spans).items())),
        complete=complete,
    )


def summarize_all(rows: Iterable[Any]) -> dict[str, TraceSummary]:
    by_trace: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_trace[row.trace_id].append(row)
    return {t: summarize(t, spans) for t, spans in by_trace.items()}
