"""Multi-window, multi-burn-rate alerting (Google SRE Workbook, "Alerting on SLOs"). Pure.

Each condition fires when both its long and its short window burn faster than
threshold = budget fraction x SLO window / long window. For a 30-day window the
Workbook's table falls out: 2% of budget in 1h → 14.4, 5% in 6h → 6 (page),
10% in 1d → 3, 10% in 3d → 1 (ticket). The short window (1/12 of the long one) makes the
alert resolve soon after the burn stops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sentinel.slo.windows import format_duration
from sentinel.timeutil import parse_duration

# The burn-rate windows the status reports, whatever the alerting policy is.
REPORTED_WINDOWS: tuple[timedelta, ...] = tuple(
    parse_duration(w) for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
)
SEVERITIES = ("page", "ticket")


@dataclass(frozen=True)
class BurnRateCondition:
    """One line of the policy: e.g. page when 1h and 5m both burn above 14.4 (30d)."""

    severity: str
    long_window: timedelta
    short_window: timedelta
    budget_fraction: float

    @property
    def key(self) -> str:
        long, short = format_duration(self.long_window), format_duration(self.short_window)
        return f"{self.severity}-{long}-{short}"

    def threshold(self, window_length: timedelta) -> float:
        return self.budget_fraction * (window_length / self.long_window)


WORKBOOK_POLICY: tuple[BurnRateCondition, ...] = (
    BurnRateCondition("page", timedelta(hours=1), timedelta(minutes=5), 0.02),
    BurnRateCondition("page", timedelta(hours=6), timedelta(minutes=30), 0.05),
    BurnRateCondition("ticket", timedelta(days=1), timedelta(hours=2), 0.10),
    BurnRateCondition("ticket", timedelta(days=3), timedelta(hours=6), 0.10),
)


@dataclass(frozen=True)
class BurnSample:
    """The burn rate over one window and how many events it rests on."""

    rate: float
    events: float


@dataclass(frozen=True)
class ConditionState:
    condition: BurnRateCondition
    threshold: float
    long_rate: float
    short_rate: float
    long_events: float
    firing: bool
    guarded: bool  # would fire, but the long window has fewer events than the guard


def check_policy(policy: Sequence[BurnRateCondition], window_length: timedelta) -> list[str]:
    """Problems that make a policy unusable with a window (empty when it is fine)."""
    problems = []
    for c in policy:
        if c.short_window >= c.long_window:
            problems.append(f"{c.key}: the short window must be shorter than the long window")
        if c.long_window > window_length:
            problems.append(
                f"{c.key}: the long window is longer than the SLO window "
                f"({window_length}); it could never be measured"
            )
        if not 0 < c.budget_fraction <= 1:
            problems.append(f"{c.key}: budget_fraction must be in (0, 1]")
    return problems


def policy_windows(policy: Sequence[BurnRateCondition]) -> list[timedelta]:
    """Every window the policy and the status need a burn rate for, shortest first."""
    windows = set(REPORTED_WINDOWS)
    for c in policy:
        windows.update((c.long_window, c.short_window))
    return sorted(windows)


def evaluate_policy(
    policy: Sequence[BurnRateCondition],
    window_length: timedelta,
    burn: Mapping[timedelta, BurnSample],
    min_events: float,
) -> list[ConditionState]:
    """Which conditions fire, given burn samples for every window in the policy."""
    states = []
    for c in policy:
        threshold = c.threshold(window_length)
        long, short = burn[c.long_window], burn[c.short_window]
        over = long.rate >= threshold and short.rate >= threshold and long.rate > 0
        guarded = over and long.events < min_events
        states.append(
            ConditionState(
                condition=c,
                threshold=threshold,
                long_rate=long.rate,
                short_rate=short.rate,
                long_events=long.events,
                firing=over and not guarded,
                guarded=guarded,
            )
        )
    return states
