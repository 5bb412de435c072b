"""RED metrics on /metrics: counts, errors, a duration histogram, and a series cap."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from sentinel.tracing import metrics
from sentinel.tracing.metrics import RedMetrics


def test_counts_errors_and_histogram_buckets() -> None:
    registry = CollectorRegistry()
    red = RedMetrics(registry)
    red.observe({(1, "api", "GET /"): ([2_000_000, 30_000_000, 4_000_000_000], 1)})
    red.observe({(2, "api", "GET /"): ([500_000], 0)})
    text = generate_latest(registry).decode()
    labels = 'operation="GET /",service="api"'
    assert f"sentinel_trace_spans_total{{{labels}}} 4.0" in text
    assert f"sentinel_trace_span_errors_total{{{labels}}} 1.0" in text
    assert f'sentinel_trace_span_duration_seconds_bucket{{le="0.001",{labels}}} 1.0' in text
    assert f'sentinel_trace_span_duration_seconds_bucket{{le="0.005",{labels}}} 2.0' in text
    assert f'sentinel_trace_span_duration_seconds_bucket{{le="+Inf",{labels}}} 4.0' in text
    assert f"sentinel_trace_span_duration_seconds_count{{{labels}}} 4.0" in text


def test_operation_labels_are_capped() -> None:
    registry = CollectorRegistry()
    red = RedMetrics(registry)
    cap = metrics.MAX_SERIES
    red.observe({(1, "api", f"GET /users/{i}"): ([1_000_000], 0) for i in range(cap + 50)})
    text = generate_latest(registry).decode()
    series = [line for line in text.splitlines() if line.startswith("sentinel_trace_spans_total{")]
    assert len(series) == cap + 1
    assert 'sentinel_trace_spans_total{operation="other",service="api"} 50.0' in text
