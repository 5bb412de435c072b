"""The rule state machine: threshold, `for`, no-data policies."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sentinel.alerting.rules import (
    MIN_BASELINE,
    NoDataPolicy,
    RuleState,
    evaluate,
    next_baseline,
    robust_z,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
FOR = timedelta(minutes=5)


def step(
    value: float | None,
    state: RuleState,
    since: datetime | None,
    at: datetime,
    no_data: NoDataPolicy = NoDataPolicy.OK,
):  # type: ignore[no-untyped-def]
    return evaluate(value, ">", 90.0, FOR, no_data, state, since, at)


def test_breach_pends_then_fires_after_for_then_resolves() -> None:
    r = step(95, RuleState.NORMAL, None, T0)
    assert (r.state, r.fire) == (RuleState.PENDING, False)
    r = step(96, r.state, r.pending_since, T0 + timedelta(minutes=4))
    assert r.state is RuleState.PENDING
    r = step(97, r.state, r.pending_since, T0 + FOR)
    assert (r.state, r.fire) == (RuleState.FIRING, True)
    r = step(98, r.state, r.pending_since, T0 + FOR + timedelta(minutes=1))
    assert (r.state, r.fire) == (RuleState.FIRING, True)  # re-sent while firing
    r = step(50, r.state, r.pending_since, T0 + timedelta(minutes=7))
    assert (r.state, r.resolve) == (RuleState.NORMAL, True)


def test_a_dip_during_pending_restarts_the_clock() -> None:
    r = step(95, RuleState.NORMAL, None, T0)
    r = step(50, r.state, r.pending_since, T0 + timedelta(minutes=3))
    assert r.state is RuleState.NORMAL and not r.resolve
    r = step(95, r.state, r.pending_since, T0 + timedelta(minutes=6))
    assert r.state is RuleState.PENDING and r.pending_since == T0 + timedelta(minutes=6)


def test_no_data_policies() -> None:
    at = T0 + timedelta(hours=1)
    firing = (RuleState.FIRING, T0)
    assert step(None, *firing, at, NoDataPolicy.OK).resolve
    assert step(None, *firing, at, NoDataPolicy.KEEP_STATE).fire
    nodata = step(None, *firing, at, NoDataPolicy.NODATA)
    assert nodata.state is RuleState.NODATA and nodata.resolve
    alerting = step(None, RuleState.NORMAL, None, at, NoDataPolicy.ALERTING)
    assert alerting.state is RuleState.PENDING  # no data counts as a breach, `for` applies


@given(st.lists(st.tuples(st.floats(0, 200), st.integers(1, 120)), max_size=30))
def test_never_fires_before_the_breach_has_held_for_the_duration(
    samples: list[tuple[float, int]],
) -> None:
    state, since, at = RuleState.NORMAL, None, T0
    breach_started: datetime | None = None
    for value, gap in samples:
        at += timedelta(seconds=gap)
        r = step(value, state, since, at)
        breach_started = (breach_started or at) if value > 90 else None
        if r.fire:
            assert breach_started is not None and at - breach_started >= FOR
        state, since = r.state, r.pending_since


def test_anomaly_needs_a_baseline_then_flags_a_jump() -> None:
    history = [10.0, 11.0, 9.0, 10.0, 12.0, 10.0, 9.0, 11.0, 10.0]
    assert robust_z(50.0, history) is None  # 9 values: still warming up
    history = next_baseline(history, 10.0)
    assert len(history) == MIN_BASELINE
    z = robust_z(50.0, history)
    assert z is not None and z > 10
    assert abs(robust_z(10.0, history) or 0.0) < 1
    r = evaluate(
        50.0, ">", 3.0, timedelta(0), NoDataPolicy.OK, RuleState.NORMAL, None, T0, baseline=history
    )
    assert r.state is RuleState.FIRING
    calm = evaluate(
        11.0, ">", 3.0, timedelta(0), NoDataPolicy.OK, RuleState.NORMAL, None, T0, baseline=history
    )
    assert calm.state is RuleState.NORMAL
    assert len(next_baseline([1.0] * 30, 2.0)) == 30


@given(st.lists(st.floats(-1e6, 1e6), min_size=10, max_size=40), st.floats(-1e6, 1e6))
def test_robust_z_sign_follows_the_median(history: list[float], value: float) -> None:
    z = robust_z(value, history)
    assert z is not None
    median = statistics.median(history)
    if value > median:
        assert z >= 0
    elif value < median:
        assert z <= 0
