"""RED metrics (rate, errors, duration) per service and operation on /metrics.

Fed per rollup group, not per span, so the cost is per batch. Label cardinality is capped:
past MAX_SERIES distinct service/operation pairs, new operations report as "other".
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from sentinel.tracing.rollup import OperationGroups

MAX_SERIES = 1000
OVERFLOW_OPERATION = "other"
# Seconds; upper bounds of the duration histogram.
BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BOUNDS_NS = [int(b * 1e9) for b in BUCKETS]


class _Series:
    __slots__ = ("buckets", "count", "errors", "sum_ns")

    def __init__(self) -> None:
        self.count = 0
        self.errors = 0
        self.sum_ns = 0
        self.buckets = [0] * (len(BUCKETS) + 1)


# (service, operation) -> (spans, errors, duration sum in ns, histogram bucket counts)
RedDelta = dict[tuple[str, str], tuple[int, int, int, list[int]]]


def red_delta(groups: OperationGroups) -> RedDelta:
    """What a batch's operation groups add to the RED series: plain data, so an ingest
    process can count it and the serving process add it."""
    delta: RedDelta = {}
    for (_minute, service, operation), (durations, errors) in groups.items():
        key = (service, operation)
        count, errs, sum_ns, buckets = delta.get(key) or (0, 0, 0, [0] * (len(BUCKETS) + 1))
        for value in durations:
            buckets[bisect.bisect_left(_BOUNDS_NS, value)] += 1
        delta[key] = (count + len(durations), errs + errors, sum_ns + sum(durations), buckets)
    return delta


class RedMetrics(Collector):
    """Cumulative span counts, error counts and duration histograms."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self._series: dict[tuple[str, str], _Series] = {}
        self._lock = threading.Lock()
        if registry is not None:
            registry.register(self)

    def observe(self, groups: OperationGroups) -> None:
        self.add(red_delta(groups))

    def add(self, delta: RedDelta) -> None:
        """Add what `red_delta` counted (in this process or an ingest process)."""
        with self._lock:
            for key, (count, errors, sum_ns, buckets) in delta.items():
                series = self._series.get(key)
                if series is None:
                    if len(self._series) >= MAX_SERIES:
                        key = (key[0], OVERFLOW_OPERATION)
                    series = self._series.setdefault(key, _Series())
                series.count += count
                series.errors += errors
                series.sum_ns += sum_ns
                for i, n in enumerate(buckets):
                    series.buckets[i] += n

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        labels = ["service", "operation"]
        spans = CounterMetricFamily(
            "sentinel_trace_spans", "Spans received, by service and operation.", labels=labels
        )
        errors = CounterMetricFamily(
            "sentinel_trace_span_errors",
            "Spans with error status, by service and operation.",
            labels=labels,
        )
        duration = HistogramMetricFamily(
            "sentinel_trace_span_duration_seconds",
            "Span duration, by service and operation.",
            labels=labels,
        )
        with self._lock:
            snapshot = [(k, s.count, s.errors, s.sum_ns, list(s.buckets)) for k, s in
                        self._series.items()]  # fmt: skip
        for (service, operation), count, errs, sum_ns, buckets in snapshot:
            spans.add_metric([service, operation], count)
            errors.add_metric([service, operation], errs)
            cumulative, running = [], 0
            for bound, n in zip([*map(str, BUCKETS), "+Inf"], buckets, strict=True):
                running += n
                cumulative.append((bound, running))
            duration.add_metric([service, operation], cumulative, sum_ns / 1e9)
        yield spans
        yield errors
        yield duration
