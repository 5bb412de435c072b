"""An SLO's stored configuration (JSON columns) turned into the pure domain types. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sentinel.slo.burn import WORKBOOK_POLICY, BurnRateCondition
from sentinel.slo.windows import SloWindow, format_duration
from sentinel.timeutil import parse_duration

DEFAULT_MIN_EVENTS = 10.0
DEFAULT_PREDICT_HORIZON = "3d"


def window_from_json(data: dict[str, Any]) -> SloWindow:
    if data.get("kind") == "calendar":
        return SloWindow.calendar(str(data.get("unit")), str(data.get("tz") or "UTC"))
    return SloWindow.rolling(str(data.get("duration")))


def window_to_json(window: SloWindow) -> dict[str, Any]:
    if window.kind == "calendar":
        return {"kind": "calendar", "unit": window.unit, "tz": window.tz}
    assert window.duration is not None
    return {"kind": "rolling", "duration": format_duration(window.duration)}


def condition_to_json(c: BurnRateCondition) -> dict[str, Any]:
    return {
        "severity": c.severity,
        "long_window": format_duration(c.long_window),
        "short_window": format_duration(c.short_window),
        "budget_fraction": c.budget_fraction,
    }


@dataclass(frozen=True)
class AlertingSpec:
    enabled: bool
    min_events: float
    conditions: tuple[BurnRateCondition, ...]
    predicted_breach: bool
    predict_horizon: timedelta
    predict_min_confidence: float


def alerting_from_json(data: dict[str, Any]) -> AlertingSpec:
    raw = data.get("conditions")
    conditions = (
        WORKBOOK_POLICY
        if raw is None
        else tuple(
            BurnRateCondition(
                severity=str(c["severity"]),
                long_window=parse_duration(str(c["long_window"])),
                short_window=parse_duration(str(c["short_window"])),
                budget_fraction=float(c["budget_fraction"]),
            )
            for c in raw
        )
    )
    return AlertingSpec(
        enabled=bool(data.get("enabled", True)),
        min_events=float(data.get("min_events", DEFAULT_MIN_EVENTS)),
        conditions=conditions,
        predicted_breach=bool(data.get("predicted_breach", True)),
        predict_horizon=parse_duration(str(data.get("predict_horizon", DEFAULT_PREDICT_HORIZON))),
        predict_min_confidence=float(data.get("predict_min_confidence", 0.5)),
    )
