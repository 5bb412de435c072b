"""Statistics from per-minute rollups: totals and time series of rate, error rate and
latency percentiles, merged from DDSketches (never from raw spans). Pure."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sentinel.tracing import sketch

QUANTILES = (0.5, 0.95, 0.99)


@dataclass
class Aggregate:
    count: int = 0
    errors: int = 0
    duration_sum_ns: int = 0
    bins: sketch.MergedBins = field(default_factory=sketch.MergedBins)

    def add(self, count: int, errors: int, duration_sum_ns: int, bins: sketch.ParsedBins) -> None:
        self.count += count
        self.errors += errors
        self.duration_sum_ns += duration_sum_ns
        self.bins.add_parsed(bins)

    def absorb(self, other: Aggregate) -> None:
        self.count += other.count
        self.errors += other.errors
        self.duration_sum_ns += other.duration_sum_ns
        self.bins.merge(other.bins)

    def summary(self, seconds: float) -> dict[str, Any]:
        out: dict[str, Any] = {
            "count": self.count,
            "error_count": self.errors,
            "rate_per_second": self.count / seconds if seconds > 0 else 0.0,
            "error_rate": self.errors / self.count if self.count else 0.0,
            "avg_ms": self.duration_sum_ns / self.count / 1e6 if self.count else None,
        }
        for q in QUANTILES:
            value = self.bins.quantile(q)
            out[f"p{round(q * 100)}_ms"] = None if value is None else value / 1e6
        return out


def rollup_statistics(
    rows: Iterable[Any],
    first_minute: int,
    last_minute: int,
    step_minutes: int,
    entry_operations: Collection[tuple[str, str]] = (),
) -> dict[str, Any]:
    """Per service/operation totals and a series bucketed by `step_minutes`, plus totals
    over everything selected, plus per service. Rows: minute, service, name, count,
    error_count, duration_sum_ns, sketch. Each row is merged once (into its step);
    operations, services and the total are merged from the steps.

    A service's figures count the requests it served: its `entry_operations` (server and
    consumer spans, as (service, operation)); a service with none of those (only internal
    or client spans) counts all its spans, and says so in `basis`."""
    per_op_step: dict[tuple[str, str], dict[int, Aggregate]] = {}
    for minute, service, name, count, errors, total, blob in rows:
        bucket = first_minute + (minute - first_minute) // step_minutes * step_minutes
        steps = per_op_step.setdefault((service, name), {})
        steps.setdefault(bucket, Aggregate()).add(count, errors, total, sketch.parse_bins(blob))
    seconds = (last_minute - first_minute + 1) * 60
    step_seconds = step_minutes * 60
    overall = Aggregate()
    operations = []
    for (service, name), steps in sorted(per_op_step.items()):
        aggregate = Aggregate()
        for step in steps.values():
            aggregate.absorb(step)
        overall.absorb(aggregate)
        series = [
            {"time_minute": bucket, **agg.summary(step_seconds)}
            for bucket, agg in sorted(steps.items())
        ]
        operations.append(
            {"service": service, "operation": name, **aggregate.summary(seconds), "series": series}
        )
    services = _per_service(per_op_step, set(entry_operations), seconds, step_seconds)
    return {"totals": overall.summary(seconds), "operations": operations, "services": services}


def _per_service(
    per_op_step: dict[tuple[str, str], dict[int, Aggregate]],
    entry: set[tuple[str, str]],
    seconds: float,
    step_seconds: float,
) -> list[dict[str, Any]]:
    by_service: dict[str, list[tuple[str, str]]] = {}
    for key in sorted(per_op_step):
        by_service.setdefault(key[0], []).append(key)
    out = []
    for service, keys in by_service.items():
        entries = [k for k in keys if k in entry]
        counted = entries or keys
        total = Aggregate()
        steps: dict[int, Aggregate] = {}
        for key in counted:
            for bucket, agg in per_op_step[key].items():
                steps.setdefault(bucket, Aggregate()).absorb(agg)
                total.absorb(agg)
        series = [
            {"time_minute": bucket, **agg.summary(step_seconds)}
            for bucket, agg in sorted(steps.items())
        ]
        out.append(
            {
                "service": service,
                "basis": "entry_spans" if entries else "all_spans",
                "operations": len(keys),
                **total.summary(seconds),
                "series": series,
            }
        )
    return out


def merged_percentiles(blobs: Iterable[bytes]) -> dict[str, float | None]:
    merged = sketch.MergedBins()
    for blob in blobs:
        merged.add_encoded(blob)
    out: dict[str, float | None] = {}
    for q in QUANTILES:
        value = merged.quantile(q)
        out[f"p{round(q * 100)}_ms"] = None if value is None else value / 1e6
    return out
