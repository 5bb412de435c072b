"""Answer shapes of the alert statistics and fatigue report (insights.py builds them as
dicts; these models document and check them, and type the UI's client)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class DurationSummary(BaseModel):
    """Seconds; mean, median and p90 are null when count is 0."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None


class NoisyAlert(BaseModel):
    alert_name: str
    service: str
    occurrences: int


class DailyCount(BaseModel):
    """Occurrences started on one UTC day, in total and per severity."""

    date: str = Field(description="YYYY-MM-DD (UTC)")
    total: int
    critical: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    info: int = 0


class AlertStatisticsOut(BaseModel):
    window_days: int
    generated_at: datetime
    open_alerts: int
    occurrences: int
    by_severity: dict[str, int]
    by_service: dict[str, int]
    by_status: dict[str, int]
    mtta_seconds: DurationSummary
    mttr_seconds: DurationSummary
    top_noisy: list[NoisyAlert]
    daily: list[DailyCount]


class FlappingAlert(BaseModel):
    alert_id: int
    alert_name: str
    service: str
    state_change_percent: float
    transitions: int


class FatigueRecommendation(BaseModel):
    action: str
    reason: str
    numbers: dict[str, float | int | str]


class FatigueEntry(BaseModel):
    """One rule, service or team: its 0–100 score, the points of each part (frequency ≤ 35,
    unacknowledged ≤ 25, low_severity ≤ 15, self_resolving ≤ 15, flapping ≤ 10) and the
    numbers behind them."""

    key: str
    score: int
    parts: dict[str, float]
    fires: int
    fires_per_day: float
    ack_rate: float | None
    self_resolved: int
    flap_percent: float
    recommendations: list[FatigueRecommendation]


class FatigueReportOut(BaseModel):
    window_days: int
    generated_at: datetime
    fatigue_score: int
    occurrences: int
    flapping: list[FlappingAlert]
    rules: list[FatigueEntry]
    services: list[FatigueEntry]
    teams: list[FatigueEntry]
