"""What the SLO API reads back: status, burn-down history, prediction, violations, report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.api.errors import BadRequest
from sentinel.slo.budget import ErrorBudget, error_budget
from sentinel.slo.evaluate import (
    SloStatus,
    compute_statuses,
    net_ranges,
    to_minute,
)
from sentinel.slo.models import Slo, SloAlertState, SloSnapshot
from sentinel.slo.predict import Prediction, predict
from sentinel.slo.spec import window_from_json
from sentinel.slo.windows import floor_minute, format_duration, window_at

MAX_POINTS = 1000
TREND_LOOKBACK = timedelta(hours=24)


class BudgetOut(BaseModel):
    unit: str
    total: float
    consumed: float
    remaining: float
    remaining_ratio: float
    consumed_ratio: float
    time_total_minutes: float
    time_consumed_minutes: float
    time_remaining_minutes: float


def budget_out(b: ErrorBudget) -> BudgetOut:
    return BudgetOut(
        unit=b.unit,
        total=b.total,
        consumed=b.consumed,
        remaining=b.remaining,
        remaining_ratio=b.remaining_ratio,
        consumed_ratio=b.consumed_ratio,
        time_total_minutes=b.time_total_minutes,
        time_consumed_minutes=b.time_consumed_minutes,
        time_remaining_minutes=b.time_remaining_minutes,
    )


class ConditionOut(BaseModel):
    key: str
    severity: str
    long_window: str
    short_window: str
    threshold: float
    long_burn_rate: float
    short_burn_rate: float
    long_window_events: float
    firing: bool
    guarded: bool


class AlertStateOut(BaseModel):
    condition: str
    severity: str
    state: str
    since: datetime
    value: float | None
    threshold: float | None
    alert_id: int | None


class StatusOut(BaseModel):
    slo_id: int
    name: str
    service: str
    target: float
    budgeting: str
    window: dict[str, Any]
    window_start: datetime
    window_end: datetime
    evaluated_at: datetime
    sli: float | None
    good: float
    total: float
    bad: float
    bad_minutes: int
    excluded_minutes: float
    meets_target: bool
    error_budget: BudgetOut
    burn_rates: dict[str, float]
    conditions: list[ConditionOut]
    alert_state: list[AlertStateOut]
    source_error: str | None


def status_out(slo: Slo, st: SloStatus, states: list[SloAlertState]) -> StatusOut:
    return StatusOut(
        slo_id=slo.id,
        name=slo.name,
        service=slo.service,
        target=slo.target,
        budgeting=slo.budgeting,
        window=slo.window,
        window_start=st.window_start,
        window_end=st.window_end,
        evaluated_at=st.now,
        sli=st.budget.sli,
        good=st.totals.good,
        total=st.totals.total,
        bad=st.totals.bad,
        bad_minutes=st.totals.bad_slices,
        excluded_minutes=st.excluded_minutes,
        meets_target=st.meets_target,
        error_budget=budget_out(st.budget),
        burn_rates={format_duration(w): round(b.rate, 6) for w, b in st.burn.items()},
        conditions=[
            ConditionOut(
                key=c.condition.key,
                severity=c.condition.severity,
                long_window=format_duration(c.condition.long_window),
                short_window=format_duration(c.condition.short_window),
                threshold=round(c.threshold, 6),
                long_burn_rate=round(c.long_rate, 6),
                short_burn_rate=round(c.short_rate, 6),
                long_window_events=c.long_events,
                firing=c.firing,
                guarded=c.guarded,
            )
            for c in st.conditions
        ],
        alert_state=[
            AlertStateOut(
                condition=s.condition,
                severity=s.severity,
                state=s.state,
                since=s.since,
                value=s.value,
                threshold=s.threshold,
                alert_id=s.alert_id,
            )
            for s in states
        ],
        source_error=slo.source_error,
    )


class HistoryPoint(BaseModel):
    at: datetime
    sli: float | None
    good: float
    total: float
    remaining_ratio: float
    consumed: float
    remaining: float


class HistoryOut(BaseModel):
    slo_id: int
    unit: str
    step_seconds: int
    points: list[HistoryPoint]


async def history(
    session: AsyncSession,
    slo: Slo,
    now: datetime,
    start: datetime | None,
    end: datetime | None,
    step: timedelta,
) -> HistoryOut:
    """The burn-down: SLI and remaining budget of the window as it stood at each step."""
    window = window_from_json(slo.window)
    now = floor_minute(now) + timedelta(minutes=1)  # through the current minute
    end = min(floor_minute(end) if end else now, now)
    if start is None:
        start = window_at(window, end)[0] if window.kind == "calendar" else end - TREND_LOOKBACK
    start = floor_minute(start)
    if step < timedelta(minutes=1) or step % timedelta(minutes=1):
        raise BadRequest("step must be a whole number of minutes (e.g. 5m, 1h)")
    if start >= end:
        raise BadRequest("start must be before end")
    count = int((end - start) / step) + 1
    if count > MAX_POINTS:
        raise BadRequest(f"{count} points asked for; at most {MAX_POINTS}: widen the step")
    points = [end - step * i for i in range(count) if end - step * i >= start][::-1]
    ranges, fulls = [], []
    for t in points:
        w_start, w_end = window_at(window, t)
        ranges.append((to_minute(w_start), to_minute(min(t, w_end))))
        fulls.append((w_end - w_start).total_seconds() / 60)
    net = (await net_ranges(session, [slo], {slo.id: ranges}))[slo.id]
    out = []
    unit = "events"
    for t, part, full in zip(points, net, fulls, strict=True):
        b = error_budget(
            slo.target, slo.budgeting, part.events, full - part.excluded_minutes, part.minutes
        )
        unit = b.unit
        out.append(
            HistoryPoint(
                at=t,
                sli=b.sli,
                good=part.events.good,
                total=part.events.total,
                remaining_ratio=b.remaining_ratio,
                consumed=b.consumed,
                remaining=b.remaining,
            )
        )
    return HistoryOut(slo_id=slo.id, unit=unit, step_seconds=int(step.total_seconds()), points=out)


class PredictionOut(BaseModel):
    slo_id: int
    evaluated_at: datetime
    remaining_ratio: float
    current_burn_rate: float
    exhausted: bool
    seconds_to_exhaustion_current_burn: float | None
    seconds_to_exhaustion_trend: float | None
    trend_slope_per_hour: float | None
    trend_r_squared: float | None
    trend_points: int
    method: str
    expected_exhaustion_at: datetime | None
    breach_at: datetime | None
    breach_in_window: bool
    confidence: float
    horizon_seconds: float
    predicted_breach_alert: bool


async def trend_history(
    session: AsyncSession, slo: Slo, st: SloStatus, snapshot_minutes: int
) -> tuple[list[tuple[datetime, float]], int]:
    """Remaining budget over the look-back: evaluated snapshots, or (before the worker has
    taken three) the burn-down computed from buckets hourly. Ends with the live value."""
    since = st.now - TREND_LOOKBACK
    snaps = list(
        await session.execute(
            select(SloSnapshot.at, SloSnapshot.remaining_ratio)
            .where(SloSnapshot.slo_id == slo.id, SloSnapshot.at >= since, SloSnapshot.at < st.now)
            .order_by(SloSnapshot.at)
        )
    )
    if len(snaps) >= 3:
        series = [(at, r) for at, r in snaps]
        expected = int(TREND_LOOKBACK / timedelta(minutes=snapshot_minutes))
    else:
        calendar_start = st.window_start if st.window.kind == "calendar" else since
        computed = await history(
            session, slo, st.now, max(since, calendar_start), st.now, timedelta(hours=1)
        )
        series = [(p.at, p.remaining_ratio) for p in computed.points[:-1]]
        expected = int(TREND_LOOKBACK / timedelta(hours=1))
    series.append((st.now, st.budget.remaining_ratio))
    return series, expected + 1


def run_prediction(
    st: SloStatus, series: list[tuple[datetime, float]], expected: int
) -> Prediction:
    return predict(
        now=st.now,
        remaining_ratio=st.budget.remaining_ratio,
        current_rate=st.burn[timedelta(hours=1)].rate,
        window_length=timedelta(minutes=st.window_minutes),
        window_end=st.window_end if st.window.kind == "calendar" else None,
        history=series,
        expected_points=expected,
    )


def breach_alert_due(st: SloStatus, p: Prediction) -> bool:
    """Predicted-breach alert: exhaustion inside the horizon, trusted enough, not yet spent."""
    a = st.alerting
    return (
        a.enabled
        and a.predicted_breach
        and not p.exhausted
        and p.expected is not None
        and p.expected <= a.predict_horizon
        and p.confidence >= a.predict_min_confidence
    )


async def prediction(
    session: AsyncSession, slo: Slo, now: datetime, snapshot_minutes: int
) -> PredictionOut:
    st = (await compute_statuses(session, [slo], now))[slo.id]
    series, expected = await trend_history(session, slo, st, snapshot_minutes)
    p = run_prediction(st, series, expected)
    return PredictionOut(
        slo_id=slo.id,
        evaluated_at=st.now,
        remaining_ratio=st.budget.remaining_ratio,
        current_burn_rate=st.burn[timedelta(hours=1)].rate,
        exhausted=p.exhausted,
        seconds_to_exhaustion_current_burn=_seconds(p.from_current_burn),
        seconds_to_exhaustion_trend=_seconds(p.from_trend),
        trend_slope_per_hour=p.trend.slope_per_hour if p.trend else None,
        trend_r_squared=p.trend.r_squared if p.trend else None,
        trend_points=p.trend.points if p.trend else len(series),
        method=p.method,
        expected_exhaustion_at=st.now + p.expected if p.expected is not None else None,
        breach_at=p.breach_at,
        breach_in_window=p.breach_at is not None,
        confidence=p.confidence,
        horizon_seconds=st.alerting.predict_horizon.total_seconds(),
        predicted_breach_alert=breach_alert_due(st, p),
    )


def _seconds(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None
