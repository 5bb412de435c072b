"""MTTA and MTTR figures: mean, median and p90 of a list of durations. Pure."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DurationSummary:
    count: int
    mean_seconds: float | None
    median_seconds: float | None
    p90_seconds: float | None


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 1]."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    position = (len(sorted_values) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def summarize(seconds: Sequence[float]) -> DurationSummary:
    values = sorted(seconds)
    if not values:
        return DurationSummary(0, None, None, None)
    return DurationSummary(
        count=len(values),
        mean_seconds=statistics.fmean(values),
        median_seconds=statistics.median(values),
        p90_seconds=percentile(values, 0.9),
    )


def elapsed(start: datetime, end: datetime | None) -> float | None:
    """Seconds from start to end; None while the end has not happened (never negative)."""
    if end is None:
        return None
    return max(0.0, (end - start).total_seconds())
