"""Breach prediction: when will the error budget run out? Pure.

Two estimates: from the current burn rate (budget left / how fast it goes now) and from
the trend (least-squares line through the remaining budget over recent history). The
trend's confidence is its R² scaled by how much of the look-back has data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Trend:
    slope_per_hour: float  # change of the remaining-budget ratio per hour
    r_squared: float
    points: int


@dataclass(frozen=True)
class Prediction:
    exhausted: bool
    from_current_burn: timedelta | None  # None: not burning
    from_trend: timedelta | None  # None: flat/rising trend or too little history
    trend: Trend | None
    confidence: float  # 0..1, the trust in `expected`
    expected: timedelta | None  # the estimate alerts use
    method: str  # "exhausted" | "trend" | "current_burn" | "none"
    breach_at: datetime | None  # when the budget runs out inside this window, if it does


def exhaustion_from_burn(
    remaining_ratio: float, rate: float, window_length: timedelta
) -> timedelta | None:
    """At burn rate 1 the whole budget lasts one window, so the rest lasts
    remaining x window / rate."""
    if remaining_ratio <= 0:
        return timedelta(0)
    if rate <= 0:
        return None
    return window_length * (remaining_ratio / rate)


def fit_trend(points: Sequence[tuple[datetime, float]]) -> Trend | None:
    """Least-squares line through (time, remaining ratio); None with under 3 points."""
    if len(points) < 3:
        return None
    origin = points[0][0]
    xs = [(t - origin).total_seconds() / 3600.0 for t, _ in points]
    ys = [v for _, v in points]
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    syy = sum((y - mean_y) ** 2 for y in ys)
    slope = sxy / sxx
    r_squared = 1.0 if syy == 0 else min(max(sxy * sxy / (sxx * syy), 0.0), 1.0)
    return Trend(slope_per_hour=slope, r_squared=r_squared, points=n)


def predict(
    *,
    now: datetime,
    remaining_ratio: float,
    current_rate: float,
    window_length: timedelta,
    window_end: datetime | None,
    history: Sequence[tuple[datetime, float]],
    expected_points: int,
) -> Prediction:
    """Combine both estimates. `window_end` is the calendar period's end (None for a
    rolling window, whose horizon is one window length from now)."""
    if remaining_ratio <= 0:
        return Prediction(
            True, timedelta(0), timedelta(0), None, 1.0, timedelta(0), "exhausted", now
        )
    current = exhaustion_from_burn(remaining_ratio, current_rate, window_length)
    trend = fit_trend(history)
    from_trend = None
    trend_confidence = 0.0
    if trend is not None:
        coverage = min(trend.points / max(expected_points, 1), 1.0)
        trend_confidence = trend.r_squared * coverage
        if trend.slope_per_hour < 0:
            from_trend = timedelta(hours=remaining_ratio / -trend.slope_per_hour)
    if from_trend is not None and trend_confidence >= 0.5:
        expected, method, confidence = from_trend, "trend", trend_confidence
    elif current is not None:
        # A single burn sample says nothing about persistence: agreement with a trend
        # (even a weak one) raises trust, otherwise it stays moderate.
        expected, method = current, "current_burn"
        confidence = max(0.3, trend_confidence) if from_trend is not None else 0.3
    else:
        expected, method, confidence = None, "none", trend_confidence if trend else 0.0
    horizon_end = window_end if window_end is not None else now + window_length
    breach_at = None
    if expected is not None and now + expected < horizon_end:
        breach_at = now + expected
    return Prediction(
        False, current, from_trend, trend, round(confidence, 4), expected, method, breach_at
    )
