"""Error budgets and burn rates for occurrences and timeslices budgeting. Pure.

Occurrences: every event counts; the budget is (1 - target) x events in the window.
Timeslices: every minute is a slice, bad when its good/total ratio falls below the
slice target; the budget is (1 - target) x minutes in the window, so the budget is time.
Minutes without events count as good slices (no traffic cannot break an SLO).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BudgetingMethod = Literal["occurrences", "timeslices"]
BUDGETING_METHODS: tuple[str, ...] = ("occurrences", "timeslices")


@dataclass(frozen=True)
class EventTotals:
    """Good/total events in a span of time, plus the minute slices they fall into."""

    good: float = 0.0
    total: float = 0.0
    bad_slices: int = 0
    slices: int = 0

    @property
    def bad(self) -> float:
        return max(self.total - self.good, 0.0)

    def __add__(self, other: EventTotals) -> EventTotals:
        return EventTotals(
            self.good + other.good,
            self.total + other.total,
            self.bad_slices + other.bad_slices,
            self.slices + other.slices,
        )

    def __sub__(self, other: EventTotals) -> EventTotals:
        # Used to take excluded minutes out; clamp so float noise never goes negative.
        return EventTotals(
            max(self.good - other.good, 0.0),
            max(self.total - other.total, 0.0),
            max(self.bad_slices - other.bad_slices, 0),
            max(self.slices - other.slices, 0),
        )


def slice_is_bad(good: float, total: float, slice_target: float) -> bool:
    """A minute with events is a bad slice when its ratio is below the slice target."""
    # Written as SQL writes it (good < total * target), so both count the same minutes.
    return total > 0 and good < total * slice_target


@dataclass(frozen=True)
class ErrorBudget:
    method: str
    sli: float | None  # None: no events (occurrences) or no elapsed time yet
    unit: str  # "events" or "minutes"
    total: float  # how much may go bad in the window
    consumed: float
    remaining: float  # total - consumed; negative once overspent
    remaining_ratio: float  # 1 - consumed/total; at most 1.0
    # The same budget expressed as time over the whole window, for both methods.
    time_total_minutes: float
    time_consumed_minutes: float
    time_remaining_minutes: float

    @property
    def consumed_ratio(self) -> float:
        return 1.0 - self.remaining_ratio


def error_budget(
    target: float,
    method: str,
    totals: EventTotals,
    window_minutes: float,
    elapsed_minutes: float,
) -> ErrorBudget:
    """The error budget of a window whose events (after exclusions) are `totals`.

    `window_minutes` is the whole window (after excluded minutes), `elapsed_minutes` the
    part of it that has happened (equal for rolling windows)."""
    allowed_fraction = 1.0 - target
    time_total = allowed_fraction * window_minutes
    if method == "timeslices":
        total = time_total
        consumed = float(totals.bad_slices)
        sli = 1.0 - consumed / elapsed_minutes if elapsed_minutes > 0 else None
        unit = "minutes"
    else:
        total = allowed_fraction * totals.total
        consumed = totals.bad
        sli = totals.good / totals.total if totals.total > 0 else None
        unit = "events"
    # No budget and nothing spent is a full budget; no budget but something spent is none.
    empty = 1.0 if consumed <= 0 else 0.0
    remaining_ratio = min(1.0 - consumed / total if total > 0 else empty, 1.0)
    time_consumed = (1.0 - remaining_ratio) * time_total
    return ErrorBudget(
        method=method,
        sli=sli,
        unit=unit,
        total=total,
        consumed=consumed,
        remaining=total - consumed,
        remaining_ratio=remaining_ratio,
        time_total_minutes=time_total,
        time_consumed_minutes=time_consumed,
        time_remaining_minutes=time_total - time_consumed,
    )


def burn_rate(target: float, method: str, totals: EventTotals, minutes: float) -> float:
    """How fast the budget burns over a span: 1.0 spends exactly the budget over the window.

    Occurrences: error ratio / (1 - target). Timeslices: bad-minute ratio / (1 - target).
    No events means no burn."""
    allowed_fraction = 1.0 - target
    if method == "timeslices":
        return (totals.bad_slices / minutes) / allowed_fraction if minutes > 0 else 0.0
    if totals.total <= 0:
        return 0.0
    return (totals.bad / totals.total) / allowed_fraction
