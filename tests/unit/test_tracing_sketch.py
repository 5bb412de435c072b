"""Latency sketches: percentiles within 2% of exact sorting, after encoding and merging."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinel.tracing import sketch
from sentinel.tracing.stats import rollup_statistics


def exact(values: list[float], q: float) -> float:
    """The lower nearest-rank quantile, as DDSketch defines it."""
    ordered = sorted(values)
    return ordered[max(0, math.floor(q * (len(ordered) - 1)))]


@pytest.mark.parametrize("distribution", ["lognormal", "uniform", "bimodal"])
def test_percentiles_within_two_percent_of_exact(distribution: str) -> None:
    rng = random.Random(7)
    if distribution == "lognormal":
        values = [rng.lognormvariate(16, 1.5) for _ in range(50_000)]
    elif distribution == "uniform":
        values = [rng.uniform(1e5, 5e9) for _ in range(50_000)]
    else:
        values = [rng.gauss(2e6, 1e5) if rng.random() < 0.9 else rng.gauss(8e8, 1e7)
                  for _ in range(50_000)]  # fmt: skip
    # Split over 60 "minutes", encode each, merge: the path statistics take.
    parts = [sketch.encode(sketch.sketch_of(values[i::60])) for i in range(60)]
    merged = sketch.merge_encoded(parts)
    assert merged.count == len(values)
    for q in (0.5, 0.95, 0.99):
        estimate = sketch.quantile(merged, q)
        truth = exact(values, q)
        assert estimate is not None
        assert abs(estimate - truth) / truth <= 0.02, (q, estimate, truth)


@settings(max_examples=50)
@given(st.lists(st.integers(1, 10**11), min_size=1, max_size=500), st.sampled_from([0.5, 0.99]))
def test_any_durations_stay_within_two_percent(values: list[int], q: float) -> None:
    estimate = sketch.quantile(sketch.decode(sketch.encode(sketch.sketch_of(values))), q)
    truth = exact([float(v) for v in values], q)
    assert estimate is not None and abs(estimate - truth) <= 0.02 * truth


def test_statistics_totals_and_steps_from_rollup_rows() -> None:
    rows = []
    for minute in range(100, 110):
        durations = [1_000_000 * (minute - 99)] * 10
        rows.append(
            (
                minute,
                "api",
                "GET /",
                10,
                1,
                sum(durations),
                sketch.encode(sketch.sketch_of(durations)),
            )
        )
    result = rollup_statistics(rows, 100, 109, 5)
    totals = result["totals"]
    assert totals["count"] == 100 and totals["error_count"] == 10
    assert totals["rate_per_second"] == pytest.approx(100 / 600)
    assert totals["error_rate"] == pytest.approx(0.1)
    assert totals["p50_ms"] == pytest.approx(5.0, rel=0.02)
    (op,) = result["operations"]
    assert [p["time_minute"] for p in op["series"]] == [100, 105]
    assert [p["count"] for p in op["series"]] == [50, 50]
    assert op["series"][1]["p99_ms"] == pytest.approx(10.0, rel=0.02)


def test_service_statistics_merge_entry_operations_or_else_all() -> None:
    def row(
        minute: int, service: str, name: str, durations: list[int], errors: int
    ) -> tuple[int, str, str, int, int, int, bytes]:
        blob = sketch.encode(sketch.sketch_of(durations))
        return (minute, service, name, len(durations), errors, sum(durations), blob)

    rows = [
        row(100, "api", "GET /", [10_000_000] * 9, 1),
        row(101, "api", "GET /", [30_000_000], 0),
        row(100, "api", "SELECT", [1_000_000] * 50, 0),  # a client span: not a request
        row(100, "cron", "tick", [5_000_000] * 2, 2),  # internal spans only
    ]
    result = rollup_statistics(rows, 100, 104, 1, entry_operations=[("api", "GET /")])
    api, cron = result["services"]
    assert (api["service"], api["basis"], api["operations"]) == ("api", "entry_spans", 2)
    assert api["count"] == 10 and api["error_rate"] == pytest.approx(0.1)
    assert api["p50_ms"] == pytest.approx(10.0, rel=0.02)
    assert [(p["time_minute"], p["count"]) for p in api["series"]] == [(100, 9), (101, 1)]
    assert (cron["basis"], cron["count"], cron["error_rate"]) == ("all_spans", 2, 1.0)
    # The per-operation figures are unchanged by the per-service merge.
    assert [o["count"] for o in result["operations"]] == [9 + 1, 50, 2]


@settings(max_examples=50)
@given(st.lists(st.integers(0, 10**12), max_size=300))
def test_fast_encoding_equals_the_ddsketch_one(values: list[int]) -> None:
    fast = sketch.decode(sketch.encode_values(values))
    slow = sketch.decode(sketch.encode(sketch.sketch_of(values)))
    assert fast.count == slow.count == len(values)
    for q in (0.0, 0.5, 0.9, 0.99, 1.0):
        assert sketch.quantile(fast, q) == sketch.quantile(slow, q)


@settings(max_examples=50)
@given(st.lists(st.lists(st.integers(0, 10**11), max_size=50), min_size=1, max_size=8))
def test_merged_bins_answer_like_a_merged_ddsketch(parts: list[list[int]]) -> None:
    merged = sketch.MergedBins()
    for part in parts:
        merged.add_encoded(sketch.encode_values(part))
    reference = sketch.merge_encoded(sketch.encode_values(p) for p in parts)
    assert merged.count == reference.count
    for q in (0.0, 0.5, 0.95, 0.99, 1.0):
        expected = sketch.quantile(reference, q)
        got = merged.quantile(q)
        assert (got is None and expected is None) or got == pytest.approx(expected)
