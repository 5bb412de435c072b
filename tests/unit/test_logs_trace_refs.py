"""Where a trace's log lines are: a derive batch's refs, and the ranges a read seeks."""

from __future__ import annotations

import random

from sentinel.logs.trace_refs import MAX_RANGES, merged, of_batch

A = "4bf92f3577b34da6a3ce929d0e0e4736"
B = "0af7651916cd43dd8448eb211c80319c"


def test_a_batch_gives_each_trace_its_smallest_and_largest_line_id() -> None:
    rows = [(10, A), (11, ""), (12, B), (13, A), (17, A), (18, "")]
    assert of_batch(rows) == [(B, 12, 12), (A, 10, 17)]
    assert of_batch([(1, ""), (2, "")]) == []


def test_touching_and_overlapping_ranges_are_joined() -> None:
    assert merged([(20, 25), (1, 5), (6, 9), (8, 12)]) == ((1, 12), (20, 25))


def test_beyond_the_cap_the_closest_ranges_are_joined_and_every_line_stays_covered() -> None:
    rng = random.Random(7)
    starts = sorted(rng.sample(range(0, 10_000_000, 10), 500))
    ranges = [(s, s + rng.randrange(5)) for s in starts]
    capped = merged(ranges, cap=MAX_RANGES)
    assert len(capped) == MAX_RANGES
    assert all(low <= high for low, high in capped)
    assert all(capped[i][1] < capped[i + 1][0] for i in range(len(capped) - 1))
    for low, high in ranges:
        assert any(a <= low and high <= b for a, b in capped), (low, high)
    # The widest gaps are the ones kept open.
    gaps = sorted((ranges[i + 1][0] - ranges[i][1] for i in range(len(ranges) - 1)), reverse=True)
    kept = sorted((capped[i + 1][0] - capped[i][1] for i in range(len(capped) - 1)), reverse=True)
    assert kept == gaps[: MAX_RANGES - 1]
