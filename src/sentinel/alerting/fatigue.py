"""Noise and fatigue: a 0–100 score per alert rule, service or team, and concrete
recommendations with the numbers behind them. Pure.

The score adds five signals, each capped, so one bad habit cannot hide another:
frequency (up to 35 points at 20+ fires a day), an unacknowledged share (25), low
severity (15), self-resolving alerts (15) and flapping (10).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sentinel.alerting.flapping import HIGH_THRESHOLD
from sentinel.alerting.stats import percentile

NOISY_FIRES_PER_DAY = 20.0
SHORT_ALERT = timedelta(minutes=5)


@dataclass(frozen=True)
class NoiseStats:
    """What happened to one rule/service/team's alerts in the window."""

    key: str
    window_days: float
    fires: int
    acknowledged: int = 0
    self_resolved: int = 0  # resolved without anyone acknowledging
    low_severity: int = 0  # low or info
    durations: Sequence[float] = ()  # seconds, resolved occurrences
    flap_percent: float = 0.0
    label_sets: int = 1  # distinct fingerprints
    values: Sequence[float] = ()  # observed current values
    threshold: float | None = None
    fire_hours: Sequence[int] = field(default=())  # UTC hour of each fire
    varying_labels: Sequence[str] = ()  # labels whose values differ between alerts


@dataclass(frozen=True)
class Recommendation:
    action: str
    reason: str
    numbers: dict[str, float | int | str]


def fires_per_day(s: NoiseStats) -> float:
    return s.fires / max(s.window_days, 1 / 24)


def score(s: NoiseStats) -> tuple[int, dict[str, float]]:
    """The fatigue score and its parts (each part's points)."""
    if s.fires == 0:
        return 0, {}
    # Shares mean little for a handful of alerts, so they count fully from 5 fires on.
    volume = min(1.0, s.fires / 5)
    parts = {
        "frequency": 35 * min(1.0, fires_per_day(s) / NOISY_FIRES_PER_DAY),
        "unacknowledged": 25 * volume * (1 - s.acknowledged / s.fires),
        "low_severity": 15 * volume * (s.low_severity / s.fires),
        "self_resolving": 15 * volume * (s.self_resolved / s.fires),
        "flapping": 10 * min(1.0, s.flap_percent / 100),
    }
    total = round(min(100.0, sum(parts.values())))
    return total, {k: round(v, 1) for k, v in parts.items()}


def recommend(s: NoiseStats) -> list[Recommendation]:
    """Concrete changes that would cut this noise, most useful first."""
    out: list[Recommendation] = []
    if s.fires == 0:
        return out
    per_day = fires_per_day(s)
    short = [d for d in s.durations if d < SHORT_ALERT.total_seconds()]
    if s.flap_percent >= HIGH_THRESHOLD or (len(short) >= 3 and len(short) >= len(s.durations) / 2):
        p90 = percentile(short, 90) or 60.0
        minutes = max(1, int(-(-p90 // 60)) + 1)
        out.append(
            Recommendation(
                f"add for: {minutes}m",
                f"{len(short)} of {len(s.durations)} resolved alerts lasted under "
                f"{int(SHORT_ALERT.total_seconds() // 60)} minutes (p90 {p90:.0f}s); "
                f"state changes {s.flap_percent:.0f}%",
                {
                    "short_alerts": len(short),
                    "p90_seconds": round(p90, 1),
                    "flap_percent": round(s.flap_percent, 1),
                    "for_minutes": minutes,
                },
            )
        )
    if s.threshold is not None and s.values and per_day >= 5:
        p90v = percentile(list(s.values), 90)
        assert p90v is not None
        if p90v > s.threshold:
            out.append(
                Recommendation(
                    f"raise threshold from {s.threshold:g} to {p90v:.4g}",
                    f"{per_day:.1f} fires/day; 90% of observed values are at or below {p90v:.4g}",
                    {
                        "threshold": s.threshold,
                        "p90_value": round(p90v, 4),
                        "fires_per_day": round(per_day, 1),
                    },
                )
            )
    if s.label_sets >= 5 and s.varying_labels:
        label = s.varying_labels[0]
        out.append(
            Recommendation(
                f"group by {label}",
                f"{s.label_sets} distinct alerts differ mostly in {label!r}; one group "
                "would page once",
                {"distinct_alerts": s.label_sets, "label": label},
            )
        )
    if s.fire_hours and s.fires >= 5:
        hour, count = Counter(s.fire_hours).most_common(1)[0]
        if count / s.fires >= 0.5:
            out.append(
                Recommendation(
                    f"silence during deploys/maintenance around {hour:02d}:00 UTC",
                    f"{count} of {s.fires} fires started in the {hour:02d}:00 hour",
                    {"hour_utc": hour, "fires_in_hour": count, "fires": s.fires},
                )
            )
    ack_rate = s.acknowledged / s.fires
    if per_day >= 5 and ack_rate < 0.2:
        out.append(
            Recommendation(
                "lower severity or route to a ticket queue instead of paging",
                f"only {ack_rate:.0%} of {s.fires} alerts were acknowledged",
                {
                    "ack_rate": round(ack_rate, 3),
                    "fires": s.fires,
                    "fires_per_day": round(per_day, 1),
                },
            )
        )
    return out
