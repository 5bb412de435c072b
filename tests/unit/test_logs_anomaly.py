"""Anomaly scoring on per-minute counts: spikes and new patterns found, steady streams not."""

from __future__ import annotations

from sentinel.logs.anomaly import Window, error_rate_spikes, new_patterns, robust_z, volume_spikes

WINDOW = Window(start=1060, end=1065, baseline_start=1000)


def _steady(rate: int, start: int = 1000, end: int = 1065) -> dict[int, int]:
    # A small deterministic wobble around `rate`.
    return {m: rate + (m % 3) - 1 for m in range(start, end)}


def test_robust_z_ignores_one_earlier_burst() -> None:
    baseline = [10.0] * 59 + [500.0]
    z, median, _ = robust_z(11, baseline, floor=1.0)
    assert median == 10.0 and z < 1


def test_volume_spike_reported_and_steady_stream_not() -> None:
    spiky = _steady(10)
    for m in range(1060, 1065):
        spiky[m] = 80
    found = volume_spikes({1: spiky, 2: _steady(50)}, WINDOW, {1: "db timeout <*>"})
    assert [a.subject for a in found] == ["pattern 1"]
    assert found[0].score > 3.5 and "db timeout" in found[0].explanation


def test_small_volumes_are_not_spikes() -> None:
    tiny = {m: 0 for m in range(1000, 1060)}
    tiny[1010] = 1
    tiny[1061] = 3
    assert volume_spikes({1: tiny}, WINDOW, {}) == []


def test_new_pattern_inside_the_window_only() -> None:
    found = new_patterns({7: 1062, 8: 1001}, {7: 40}, WINDOW, {7: "panic <*>"}, error_keys={7})
    assert [a.subject for a in found] == ["pattern 7"]
    assert "New error pattern" in found[0].explanation and found[0].score >= 5.5


def test_error_rate_spike_per_service() -> None:
    totals = {"checkout": _steady(100), "search": _steady(100)}
    errors = {
        "checkout": {m: 1 for m in range(1000, 1065)},
        "search": {m: 1 for m in range(1000, 1065)},
    }
    for m in range(1060, 1065):
        errors["checkout"][m] = 30
    found = error_rate_spikes(totals, errors, WINDOW)
    assert [a.subject for a in found] == ["service checkout"]
    assert "checkout" in found[0].explanation
