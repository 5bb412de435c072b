"""Pure muting (silences, maintenance windows, inhibition), flapping and fatigue."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sentinel.alerting.fatigue import NoiseStats, recommend, score
from sentinel.alerting.flapping import (
    flapping_now,
    is_flapping,
    observed_states,
    state_change_percent,
)
from sentinel.alerting.matchers import parse_matchers
from sentinel.alerting.muting import (
    Inhibitor,
    InhibitRule,
    MaintenanceWindow,
    MuteStage,
    Silence,
)
from sentinel.alerting.stats import percentile, summary

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday


def test_silence_mutes_only_while_active_and_matching() -> None:
    s = Silence("s1", tuple(parse_matchers('{job=~"api.*"}')), T0, T0 + timedelta(hours=1))
    assert s.mutes({"job": "api-1"}, T0 + timedelta(minutes=5)) is not None
    assert s.mutes({"job": "db"}, T0 + timedelta(minutes=5)) is None
    assert s.mutes({"job": "api-1"}, T0 - timedelta(seconds=1)) is None
    assert s.state(T0 - timedelta(seconds=1)) == "pending"
    assert s.state(T0 + timedelta(hours=1)) == "expired"


def test_maintenance_window_recurs_weekly_in_local_time_across_midnight() -> None:
    w = MaintenanceWindow(
        "m1",
        tuple(parse_matchers('env="prod"')),
        frozenset({6}),
        time(23, 0),
        timedelta(hours=3),
        "Europe/Berlin",
    )
    # Sunday 23:30 Berlin (CET, UTC+1) = 22:30 UTC; Monday 01:30 Berlin = 00:30 UTC.
    sunday = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)
    assert w.mutes({"env": "prod"}, sunday) is not None
    assert w.mutes({"env": "prod"}, sunday + timedelta(hours=2)) is not None
    assert w.mutes({"env": "prod"}, sunday + timedelta(hours=3)) is None
    assert w.mutes({"env": "dev"}, sunday) is None
    assert w.mutes({"env": "prod"}, sunday + timedelta(days=7)) is not None
    # After the spring DST change (29 March) the window still opens at 23:00 local.
    assert w.active(datetime(2026, 3, 29, 21, 30, tzinfo=UTC))  # 23:30 CEST


RULE = InhibitRule(
    "i1",
    source=tuple(parse_matchers('severity="critical"')),
    target=tuple(parse_matchers('severity="warning"')),
    equal=("cluster",),
)


def test_inhibition_needs_a_firing_source_with_equal_labels() -> None:
    source = {"alertname": "ClusterDown", "severity": "critical", "cluster": "eu"}
    target = {"alertname": "HighLatency", "severity": "warning", "cluster": "eu"}
    other = {"alertname": "HighLatency", "severity": "warning", "cluster": "us"}
    inhibitor = Inhibitor([RULE], [source, target, other])
    assert inhibitor.mutes(target, T0) is not None
    assert inhibitor.mutes(other, T0) is None
    assert Inhibitor([RULE], [target]).mutes(target, T0) is None


def test_an_alert_matching_source_and_target_does_not_inhibit_itself() -> None:
    rule = InhibitRule("i2", (), (), ("cluster",))
    alert = {"alertname": "A", "cluster": "eu"}
    assert Inhibitor([rule], [alert]).mutes(alert, T0) is None


def test_mute_stage_reports_the_first_muter() -> None:
    silence = Silence("s1", tuple(parse_matchers("cluster=eu")), T0, T0 + timedelta(hours=1))
    stage = MuteStage([silence, Inhibitor([RULE], [{"severity": "critical", "cluster": "eu"}])])
    reason = stage.mutes({"severity": "warning", "cluster": "eu"}, T0)
    assert reason is not None and str(reason) == "silence:s1"
    assert stage.mutes({"severity": "warning", "cluster": "us"}, T0) is None


states = st.lists(st.sampled_from(["firing", "resolved"]), min_size=0, max_size=40)


@given(states)
def test_state_change_percent_is_a_percentage(history: list[str]) -> None:
    assert 0.0 <= state_change_percent(history) <= 100.0 + 1e-9


@given(st.sampled_from(["firing", "resolved"]), st.integers(1, 40))
def test_a_steady_alert_never_flaps(state: str, n: int) -> None:
    assert state_change_percent([state] * n) == 0.0


def test_alternating_alert_is_fully_flapping_and_recent_changes_weigh_more() -> None:
    alternating = ["firing", "resolved"] * 11
    assert abs(state_change_percent(alternating) - 100.0) < 1e-9
    old_change = ["a"] + ["b"] * 20
    new_change = ["a"] * 20 + ["b"]
    assert state_change_percent(new_change) > state_change_percent(old_change)
    assert state_change_percent(["a"] * 100 + ["b", "a"] * 10 + ["b"]) > 99  # only last 21
    assert state_change_percent(["firing", "resolved"]) == 0.0  # too little history


@given(st.floats(0, 100), st.booleans())
def test_flapping_has_hysteresis(percent: float, was: bool) -> None:
    if percent >= 50:
        assert is_flapping(percent, was)
    if percent < 25:
        assert not is_flapping(percent, was)
    if 25 <= percent < 50:
        assert is_flapping(percent, was) is was


def test_a_long_firing_alert_is_steady_and_one_that_clears_after_a_send_flaps() -> None:
    # (sends, resolved) per fire → resolve cycle; Prometheus re-sends every minute.
    assert flapping_now(observed_states([(60, True), (45, True)])) == (False, 6.0)
    assert flapping_now(observed_states([(1, True)] * 8)) == (True, 100.0)
    assert observed_states([(10**6, False)]) == ["firing"] * 21  # a run is cut to the window


def test_an_alert_that_flapped_stops_only_below_the_low_threshold() -> None:
    calmer = [(4, True)] * 6  # two changes in every five states: about 40 %
    flapping, percent = flapping_now(observed_states(calmer))
    assert not flapping and 25 < percent < 50  # never reached 50 %: never flapping
    flapping, percent = flapping_now(observed_states([(1, True)] * 10 + calmer))
    assert flapping and 25 < percent < 50  # was flapping, not yet below 25 %
    assert flapping_now(observed_states([(1, True)] * 10 + [(30, True)]))[0] is False


cycles = st.lists(st.tuples(st.integers(1, 30), st.booleans()), max_size=30)


@given(cycles)
def test_the_verdict_follows_the_thresholds_outside_the_band(
    history: list[tuple[int, bool]],
) -> None:
    flapping, percent = flapping_now(observed_states(history))
    if percent >= 50:
        assert flapping
    if percent < 25:
        assert not flapping


def test_percentiles() -> None:
    assert percentile([], 50) is None
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert summary([10, 20, 30, 40, 50])["p90"] == 46.0


def test_noisy_rule_scores_high_with_concrete_recommendations() -> None:
    noisy = NoiseStats(
        key="HighCPU",
        window_days=7,
        fires=210,
        acknowledged=3,
        self_resolved=200,
        low_severity=150,
        durations=[60.0, 90.0, 120.0] * 70,
        flap_percent=70,
        label_sets=12,
        values=[85.0, 88.0, 91.0, 95.0] * 50,
        threshold=80.0,
        fire_hours=[3] * 150 + [12] * 60,
        varying_labels=["instance"],
    )
    total, parts = score(noisy)
    assert total >= 80 and set(parts) >= {"frequency", "flapping"}
    actions = [r.action for r in recommend(noisy)]
    assert any(a.startswith("add for: ") for a in actions)
    assert any(a.startswith("raise threshold from 80 to") for a in actions)
    assert "group by instance" in actions
    assert any("03:00" in a for a in actions)
    quiet = NoiseStats(key="DiskFull", window_days=7, fires=1, acknowledged=1)
    assert score(quiet)[0] < 10 and recommend(quiet) == []


@given(st.integers(0, 500), st.integers(0, 500), st.floats(0, 100))
def test_fatigue_score_stays_in_0_100(fires: int, acked: int, flap: float) -> None:
    s = NoiseStats(
        key="x",
        window_days=1,
        fires=fires,
        acknowledged=min(acked, fires),
        self_resolved=fires,
        low_severity=fires,
        flap_percent=flap,
    )
    assert 0 <= score(s)[0] <= 100
