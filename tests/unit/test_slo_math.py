"""SLO math against hand-computed cases and the SRE Workbook table, plus invariants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sentinel.slo.budget import EventTotals, burn_rate, error_budget, slice_is_bad
from sentinel.slo.burn import (
    WORKBOOK_POLICY,
    BurnSample,
    check_policy,
    evaluate_policy,
    policy_windows,
)
from sentinel.slo.exclusions import Exclusion, merged_ranges, total_minutes
from sentinel.slo.predict import exhaustion_from_burn, fit_trend, predict
from sentinel.slo.windows import SloWindow, window_bounds

H = timedelta(hours=1)
D = timedelta(days=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- budgets -----------------------------------------------------------------------------


def test_occurrences_budget_by_hand() -> None:
    # 99.9% of 1,000,000 requests: 1,000 may fail; 250 failed → 25% spent, 750 left.
    budget = error_budget(0.999, "occurrences", EventTotals(999_750, 1_000_000), 43200, 43200)
    assert budget.sli == pytest.approx(0.99975)
    assert budget.total == pytest.approx(1000)
    assert budget.consumed == pytest.approx(250)
    assert budget.remaining == pytest.approx(750)
    assert budget.remaining_ratio == pytest.approx(0.75)
    # As time: 0.1% of 30 days is 43.2 minutes, a quarter of it spent.
    assert budget.time_total_minutes == pytest.approx(43.2)
    assert budget.time_consumed_minutes == pytest.approx(10.8)


def test_overspent_budget_goes_negative() -> None:
    budget = error_budget(0.99, "occurrences", EventTotals(970, 1000), 100, 100)
    assert budget.remaining == pytest.approx(-20)
    assert budget.remaining_ratio == pytest.approx(-2.0)


def test_no_events_is_a_full_budget_with_no_sli() -> None:
    budget = error_budget(0.99, "occurrences", EventTotals(), 43200, 43200)
    assert budget.sli is None
    assert budget.remaining_ratio == 1.0


def test_timeslices_budget_is_time() -> None:
    # 99% of a 30-day window of minutes: 432 bad minutes allowed; 108 bad → 25% spent.
    totals = EventTotals(good=0, total=0, bad_slices=108, slices=1000)
    budget = error_budget(0.99, "timeslices", totals, 43200, 21600)
    assert budget.unit == "minutes"
    assert budget.total == pytest.approx(432)
    assert budget.remaining == pytest.approx(324)
    assert budget.remaining_ratio == pytest.approx(0.75)
    # SLI so far: 108 bad minutes of the 21,600 elapsed.
    assert budget.sli == pytest.approx(1 - 108 / 21600)


def test_slice_rule() -> None:
    assert slice_is_bad(94, 100, 0.95)
    assert not slice_is_bad(95, 100, 0.95)
    assert not slice_is_bad(0, 0, 0.95)


def test_burn_rate_by_hand() -> None:
    # 1% errors against a 99.9% target burns 10x the sustainable rate.
    assert burn_rate(0.999, "occurrences", EventTotals(990, 1000), 60) == pytest.approx(10)
    assert burn_rate(0.999, "occurrences", EventTotals(), 60) == 0
    # 3 bad minutes in an hour against 99%: 5% bad / 1% allowed = 5.
    assert burn_rate(0.99, "timeslices", EventTotals(bad_slices=3), 60) == pytest.approx(5)


# --- the Workbook table ------------------------------------------------------------------


def test_workbook_thresholds_for_30_days() -> None:
    thresholds = {c.key: c.threshold(30 * D) for c in WORKBOOK_POLICY}
    assert thresholds == pytest.approx(
        {"page-1h-5m": 14.4, "page-6h-30m": 6.0, "ticket-1d-2h": 3.0, "ticket-3d-6h": 1.0}
    )


def test_thresholds_scale_with_the_window() -> None:
    # 2% of a 7-day budget in 1h: 0.02 x 168 = 3.36.
    thresholds = [c.threshold(7 * D) for c in WORKBOOK_POLICY]
    assert thresholds == pytest.approx([3.36, 1.4, 0.7, 0.7 / 3])


def test_policy_fires_only_when_both_windows_burn() -> None:
    windows = policy_windows(WORKBOOK_POLICY)
    quiet = {w: BurnSample(0.0, 10_000) for w in windows}
    # A 1h burn of 20 whose last 5 minutes recovered: the page must not (or no longer) fire.
    recovered = {**quiet, H: BurnSample(20, 10_000), timedelta(minutes=5): BurnSample(0.5, 900)}
    states = evaluate_policy(WORKBOOK_POLICY, 30 * D, recovered, min_events=10)
    assert not any(s.firing for s in states)
    burning = {**recovered, timedelta(minutes=5): BurnSample(20, 900)}
    states = evaluate_policy(WORKBOOK_POLICY, 30 * D, burning, min_events=10)
    assert [s.condition.key for s in states if s.firing] == ["page-1h-5m"]


def test_minimum_events_guard() -> None:
    windows = policy_windows(WORKBOOK_POLICY)
    one_failure = {w: BurnSample(1000.0, 1) for w in windows}
    states = evaluate_policy(WORKBOOK_POLICY, 30 * D, one_failure, min_events=10)
    assert not any(s.firing for s in states)
    assert all(s.guarded for s in states)


def test_policy_rejects_windows_longer_than_the_slo() -> None:
    problems = check_policy(WORKBOOK_POLICY, 2 * D)
    assert problems and "ticket-3d-6h" in problems[0]
    assert check_policy(WORKBOOK_POLICY, 3 * D) == []


# --- windows -----------------------------------------------------------------------------


def test_rolling_window() -> None:
    now = utc(2026, 3, 10, 12, 30, 45)
    start, end = window_bounds(SloWindow.rolling("28d"), now)
    assert end == utc(2026, 3, 10, 12, 30)
    assert end - start == 28 * D


def test_calendar_month_in_a_time_zone() -> None:
    # 23:30 UTC on 31 Jan is already 1 Feb in Berlin.
    window = SloWindow.calendar("month", "Europe/Berlin")
    start, end = window_bounds(window, utc(2026, 1, 31, 23, 30))
    assert start == utc(2026, 1, 31, 23, 0)
    assert end == utc(2026, 2, 28, 23, 0)


def test_calendar_week_and_quarter() -> None:
    start, end = window_bounds(SloWindow.calendar("week"), utc(2026, 3, 12, 8))  # a Thursday
    assert (start, end) == (utc(2026, 3, 9), utc(2026, 3, 16))
    start, end = window_bounds(SloWindow.calendar("quarter", "America/New_York"), utc(2026, 5, 1))
    # Q2 starts on 1 April and ends on 1 July, both in EDT (UTC-4).
    assert (start, end) == (utc(2026, 4, 1, 4), utc(2026, 7, 1, 4))


def test_month_across_a_dst_change_is_not_a_whole_number_of_days() -> None:
    start, end = window_bounds(SloWindow.calendar("month", "Europe/Berlin"), utc(2026, 3, 15))
    assert end - start == 31 * D - H


def test_bad_windows() -> None:
    with pytest.raises(ValueError):
        SloWindow.calendar("fortnight")
    with pytest.raises(ValueError):
        SloWindow.calendar("month", "Mars/Olympus")
    with pytest.raises(ValueError):
        SloWindow.rolling("5m")


@given(
    st.sampled_from(["week", "month", "quarter"]),
    st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
)
def test_calendar_windows_reset(unit: str, tz: str, naive: datetime) -> None:
    window = SloWindow.calendar(unit, tz)
    now = naive.replace(tzinfo=UTC)
    start, end = window_bounds(window, now)
    assert start <= now.replace(second=0, microsecond=0) < end
    # The next period starts exactly where this one ends: the budget resets there.
    next_start, _ = window_bounds(window, end)
    assert next_start == end
    before_start, before_end = window_bounds(window, end - timedelta(minutes=1))
    assert (before_start, before_end) == (start, end)


@given(
    st.floats(min_value=0.5, max_value=0.9999),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=1, max_value=1000),
)
def test_remaining_budget_falls_as_bad_events_arrive(
    target: float, good: int, bad: int, more_bad: int
) -> None:
    before = error_budget(target, "occurrences", EventTotals(good, good + bad), 100, 100)
    after = error_budget(target, "occurrences", EventTotals(good, good + bad + more_bad), 100, 100)
    assert after.remaining_ratio <= before.remaining_ratio + 1e-12  # float noise when good=0
    if good > 0:  # with no good events at all the error ratio is already 100%
        assert after.remaining_ratio < before.remaining_ratio
    assert before.remaining_ratio <= 1.0 and after.remaining_ratio <= 1.0


@given(
    st.floats(min_value=0.5, max_value=0.9999),
    st.integers(min_value=0, max_value=43200),
    st.integers(min_value=1, max_value=100),
)
def test_timeslice_budget_falls_and_never_exceeds_full(target: float, bad: int, more: int) -> None:
    before = error_budget(target, "timeslices", EventTotals(bad_slices=bad), 43200, 43200)
    after = error_budget(target, "timeslices", EventTotals(bad_slices=bad + more), 43200, 43200)
    assert after.remaining_ratio < before.remaining_ratio <= 1.0


# --- exclusions --------------------------------------------------------------------------


def test_one_time_and_weekly_exclusions_merge() -> None:
    start, end = utc(2026, 3, 2), utc(2026, 3, 16)  # two weeks from a Monday
    weekly = Exclusion(
        start=utc(2026, 1, 1, 1, 0), end=None, every="week", duration=2 * H, days=(1,), tz="UTC"
    )  # Tuesdays 01:00-03:00
    one_time = Exclusion(start=utc(2026, 3, 3, 2, 0), end=utc(2026, 3, 3, 4, 0))
    ranges = merged_ranges([weekly, one_time], start, end)
    assert ranges == [
        (utc(2026, 3, 3, 1), utc(2026, 3, 3, 4)),
        (utc(2026, 3, 10, 1), utc(2026, 3, 10, 3)),
    ]
    assert total_minutes(ranges) == 300


def test_daily_exclusion_in_local_time_clipped_to_range() -> None:
    daily = Exclusion(
        start=utc(2026, 1, 1, 23, 30), end=None, every="day", duration=H, tz="Europe/Berlin"
    )  # 00:30 Berlin (winter: 23:30 UTC)
    ranges = merged_ranges([daily], utc(2026, 2, 1, 0, 0), utc(2026, 2, 2, 0, 0))
    assert ranges == [
        (utc(2026, 2, 1, 0, 0), utc(2026, 2, 1, 0, 30)),
        (utc(2026, 2, 1, 23, 30), utc(2026, 2, 2, 0, 0)),
    ]


# --- prediction --------------------------------------------------------------------------


def test_exhaustion_from_burn_by_hand() -> None:
    # Half the budget left, burning at 2x over a 30-day window: 0.5 x 30d / 2 = 7.5 days.
    assert exhaustion_from_burn(0.5, 2.0, 30 * D) == timedelta(days=7.5)
    assert exhaustion_from_burn(0.5, 0.0, 30 * D) is None
    assert exhaustion_from_burn(-0.1, 3.0, 30 * D) == timedelta(0)


def test_trend_prediction_on_a_straight_line() -> None:
    now = utc(2026, 3, 10)
    # Remaining budget falls 1% per hour over the last day, now at 40%: 40 hours left.
    history = [(now - timedelta(hours=24 - i), 0.64 - 0.01 * i) for i in range(25)]
    trend = fit_trend(history)
    assert trend is not None
    assert trend.slope_per_hour == pytest.approx(-0.01)
    assert trend.r_squared == pytest.approx(1.0)
    result = predict(
        now=now,
        remaining_ratio=0.40,
        current_rate=1.0,
        window_length=30 * D,
        window_end=None,
        history=history,
        expected_points=25,
    )
    assert result.method == "trend"
    assert result.from_trend == timedelta(hours=40)
    assert result.breach_at == now + timedelta(hours=40)
    assert result.confidence == pytest.approx(1.0)
    # From the current burn alone: 0.4 x 30 days at 1x = 12 days.
    assert result.from_current_burn == timedelta(days=12)


def test_prediction_outside_a_calendar_window_has_no_breach() -> None:
    now = utc(2026, 3, 30)
    result = predict(
        now=now,
        remaining_ratio=0.9,
        current_rate=1.0,
        window_length=31 * D,
        window_end=utc(2026, 4, 1),
        history=[],
        expected_points=24,
    )
    assert result.method == "current_burn"
    assert result.breach_at is None  # 27.9 days away, the month ends in two
    assert result.confidence < 0.5


def test_noisy_trend_is_not_trusted() -> None:
    now = utc(2026, 3, 10)
    values = [0.9, 0.5, 0.95, 0.4, 0.92, 0.45, 0.9, 0.5]
    history = [(now - timedelta(hours=8 - i), v) for i, v in enumerate(values)]
    result = predict(
        now=now,
        remaining_ratio=0.5,
        current_rate=0.0,
        window_length=30 * D,
        window_end=None,
        history=history,
        expected_points=8,
    )
    assert result.confidence < 0.5
    assert result.method != "trend"
