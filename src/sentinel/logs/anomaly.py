"""Unusual log behaviour, scored: volume spikes, new patterns, error-rate spikes.

Everything works on per-minute counts. The current window (the last few minutes) is
compared with a rolling baseline (the hour before it) by a robust z-score,
0.6745 * (x - median) / MAD, which one earlier burst cannot inflate the way a mean and
standard deviation would. A perfectly steady baseline has MAD 0; a floor on the scale
keeps a tiny wobble from scoring as infinity.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Z_THRESHOLD = 3.5  # Iglewicz and Hoaglin's cut-off for the modified z-score
MIN_WINDOW_COUNT = 20  # lines in the window before a pattern's volume can be a spike
MIN_WINDOW_ERRORS = 5
MIN_RATE_JUMP = 0.05  # the error rate must rise by at least 5 percentage points


@dataclass
class Window:
    """Minutes are epoch minutes; the window is [start, end), the baseline before it."""

    start: int
    end: int
    baseline_start: int

    @property
    def minutes(self) -> int:
        return self.end - self.start

    @property
    def baseline_minutes(self) -> int:
        return self.start - self.baseline_start


@dataclass
class Anomaly:
    kind: str  # volume_spike | new_pattern | error_rate_spike
    subject: str  # "pattern 12" or "service checkout"
    score: float
    window_start_minute: int
    window_end_minute: int
    explanation: str
    details: dict[str, Any] = field(default_factory=dict)


def robust_z(value: float, baseline: Sequence[float], floor: float) -> tuple[float, float, float]:
    """(z, median, MAD) of `value` against `baseline`; the MAD is at least `floor`."""
    median = statistics.median(baseline) if baseline else 0.0
    mad = statistics.median([abs(x - median) for x in baseline]) if baseline else 0.0
    scale = max(mad, floor)
    return 0.6745 * (value - median) / scale, median, mad


def _per_minute(series: Mapping[int, float], start: int, end: int) -> list[float]:
    return [float(series.get(m, 0)) for m in range(start, end)]


def volume_spikes(
    series: Mapping[Any, Mapping[int, int]], window: Window, labels: Mapping[Any, str]
) -> list[Anomaly]:
    """Keys (patterns) whose mean per-minute volume in the window is far above their
    baseline minutes. Keys with no baseline volume are new, not spikes."""
    found = []
    for key, counts in series.items():
        baseline = _per_minute(counts, window.baseline_start, window.start)
        if not any(baseline):
            continue
        current = _per_minute(counts, window.start, window.end)
        total = sum(current)
        if total < MIN_WINDOW_COUNT:
            continue
        rate = total / window.minutes
        # Poisson-ish floor: counts of ~m per minute wobble by about sqrt(m).
        median0 = statistics.median(baseline)
        z, median, _mad = robust_z(rate, baseline, floor=max(1.0, 0.5 * median0**0.5))
        if z < Z_THRESHOLD:
            continue
        label = labels.get(key, str(key))
        found.append(
            Anomaly(
                "volume_spike",
                f"pattern {key}",
                round(z, 2),
                window.start,
                window.end,
                f"{label!r}: {rate:.1f}/min in the last {window.minutes} min vs a median of "
                f"{median:.1f}/min over the {window.baseline_minutes} min before "
                f"(robust z {z:.1f})",
                {"pattern_id": key, "rate_per_minute": rate, "baseline_median": median},
            )
        )
    return found


def new_patterns(
    first_seen: Mapping[Any, int],
    window_counts: Mapping[Any, int],
    window: Window,
    labels: Mapping[Any, str],
    error_keys: set[Any] | None = None,
) -> list[Anomaly]:
    """Patterns first seen inside the window. Scored higher with more lines, and higher
    again when the pattern is an error."""
    found = []
    for key, minute in first_seen.items():
        if not window.start <= minute < window.end:
            continue
        count = window_counts.get(key, 0)
        is_error = bool(error_keys and key in error_keys)
        score = round(min(10.0, 3.5 + count.bit_length() / 2 + (2.0 if is_error else 0.0)), 2)
        kind = "error pattern" if is_error else "pattern"
        found.append(
            Anomaly(
                "new_pattern",
                f"pattern {key}",
                score,
                window.start,
                window.end,
                f"New {kind} {labels.get(key, str(key))!r}: first seen in the last "
                f"{window.minutes} min, {count} lines since",
                {"pattern_id": key, "count": count, "is_error": is_error},
            )
        )
    return found


def error_rate_spikes(
    totals: Mapping[str, Mapping[int, int]], errors: Mapping[str, Mapping[int, int]], window: Window
) -> list[Anomaly]:
    """Services whose share of error lines in the window is far above their baseline."""
    found = []
    for service, counts in totals.items():
        errs = errors.get(service, {})
        cur_total = sum(_per_minute(counts, window.start, window.end))
        cur_errors = sum(_per_minute(errs, window.start, window.end))
        if cur_total <= 0 or cur_errors < MIN_WINDOW_ERRORS:
            continue
        rate = cur_errors / cur_total
        rates = [
            errs.get(m, 0) / counts[m]
            for m in range(window.baseline_start, window.start)
            if counts.get(m, 0) > 0
        ]
        if not rates:
            continue
        z, median, _mad = robust_z(rate, rates, floor=0.01)
        if z < Z_THRESHOLD or rate - median < MIN_RATE_JUMP:
            continue
        found.append(
            Anomaly(
                "error_rate_spike",
                f"service {service}",
                round(z, 2),
                window.start,
                window.end,
                f"{service}: {rate:.1%} of lines are errors in the last {window.minutes} min "
                f"({int(cur_errors)} of {int(cur_total)}) vs a median of {median:.1%} before "
                f"(robust z {z:.1f})",
                {"service": service, "error_rate": rate, "baseline_median": median},
            )
        )
    return found


def rank(anomalies: list[Anomaly]) -> list[Anomaly]:
    return sorted(anomalies, key=lambda a: -a.score)
