"""Request and response shapes of the SLO API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from sentinel.slo.burn import BurnRateCondition, check_policy
from sentinel.slo.spec import window_from_json, window_to_json
from sentinel.slo.windows import CALENDAR_UNITS, SloWindow
from sentinel.timeutil import UtcDatetime, parse_duration

Name = Annotated[str, Field(min_length=1, max_length=200)]
Target = Annotated[float, Field(gt=0, lt=1, description="Objective as a ratio, e.g. 0.999.")]


def _duration(value: str) -> str:
    parse_duration(value)
    return value


class WindowIn(BaseModel):
    """A rolling window (`duration`, e.g. "30d") or a calendar one (`unit`, `tz`)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["rolling", "calendar"] = "rolling"
    duration: str | None = Field(None, examples=["30d"])
    unit: Literal["week", "month", "quarter"] | None = None
    tz: str = Field("UTC", max_length=64)

    def to_window(self) -> SloWindow:
        if self.kind == "calendar":
            return SloWindow.calendar(self.unit or "", self.tz)
        return SloWindow.rolling(self.duration or "")


def parse_window(value: Any) -> dict[str, Any]:
    """ "30d" / "month" shorthands or a WindowIn object → the stored JSON (validated)."""
    if isinstance(value, str):
        if value in CALENDAR_UNITS:
            return window_to_json(SloWindow.calendar(value))
        return window_to_json(SloWindow.rolling(value))
    parsed = value if isinstance(value, WindowIn) else WindowIn.model_validate(value)
    return window_to_json(parsed.to_window())


class BurnConditionIn(BaseModel):
    """A multi-window burn-rate condition: give `budget_fraction` (share of the window's
    budget spent within `long_window`) or a `burn_rate` threshold."""

    model_config = ConfigDict(extra="forbid")
    severity: Literal["page", "ticket"]
    long_window: str
    short_window: str
    budget_fraction: float | None = Field(None, gt=0, le=1)
    burn_rate: float | None = Field(None, gt=0)

    _durations = field_validator("long_window", "short_window")(
        classmethod(lambda cls, v: _duration(v))
    )

    @model_validator(mode="after")
    def _one_threshold(self) -> BurnConditionIn:
        if (self.budget_fraction is None) == (self.burn_rate is None):
            raise ValueError("give exactly one of budget_fraction and burn_rate")
        return self


class AlertingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    min_events: float = Field(10, ge=0, description="Burn alerts need this many events.")
    conditions: list[BurnConditionIn] | None = Field(
        None, max_length=20, description="Default: the SRE Workbook's four conditions."
    )
    predicted_breach: bool = True
    predict_horizon: str = "3d"
    predict_min_confidence: float = Field(0.5, ge=0, le=1)

    _horizon = field_validator("predict_horizon")(classmethod(lambda cls, v: _duration(v)))


SliSource = Literal["measurements", "span_ratio", "span_latency", "promql"]


class SliIn(BaseModel):
    """Where good/total events come from. Span sources: `service` (default: the SLO's),
    optional `operation`; `threshold_ms` for latency. PromQL: `url`, `good_query`,
    `total_query` (each giving events per minute, e.g. sum(increase(x[1m])))."""

    model_config = ConfigDict(extra="forbid")
    source: SliSource = "measurements"
    service: str | None = Field(None, max_length=255)
    operation: str | None = Field(None, max_length=255)
    threshold_ms: float | None = Field(None, gt=0)
    url: str | None = Field(None, max_length=2000)
    good_query: str | None = Field(None, max_length=10_000)
    total_query: str | None = Field(None, max_length=10_000)

    @model_validator(mode="after")
    def _complete(self) -> SliIn:
        if self.source == "span_latency" and self.threshold_ms is None:
            raise ValueError("a span_latency SLI needs threshold_ms")
        if self.source == "promql":
            if not (self.url and self.good_query and self.total_query):
                raise ValueError("a promql SLI needs url, good_query and total_query")
            if not self.url.startswith(("http://", "https://")):
                raise ValueError("url must be an http(s) URL of a Prometheus-compatible server")
        return self

    def params(self) -> dict[str, Any]:
        return self.model_dump(exclude={"source"}, exclude_none=True)


class SloFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field("", max_length=10_000)
    budgeting: Literal["occurrences", "timeslices"] = "occurrences"
    timeslice_target: float | None = Field(
        None, gt=0, lt=1, description="A minute is good when its ratio reaches this."
    )
    sli: SliIn = Field(default_factory=SliIn)
    alerting: AlertingIn = Field(default_factory=AlertingIn)
    labels: dict[str, str] = Field(default_factory=dict, max_length=50)


def _is_workbook(policy: list[BurnRateCondition]) -> bool:
    from sentinel.slo.burn import WORKBOOK_POLICY

    return len(policy) == len(WORKBOOK_POLICY) and all(
        a.key == b.key and abs(a.budget_fraction - b.budget_fraction) < 1e-9
        for a, b in zip(policy, WORKBOOK_POLICY, strict=True)
    )


def conditions_json(alerting: AlertingIn, window: SloWindow) -> list[dict[str, Any]] | None:
    """Validate the policy against the window; store thresholds as budget fractions."""
    if alerting.conditions is None:
        from sentinel.slo.burn import WORKBOOK_POLICY

        policy = list(WORKBOOK_POLICY)
    else:
        policy = []
        for c in alerting.conditions:
            long_window = parse_duration(c.long_window)
            fraction = c.budget_fraction
            if fraction is None:
                assert c.burn_rate is not None
                # Rounded so 3.36 over 1h in 7d reads back as 0.02, not 0.01999…
                fraction = round(c.burn_rate * (long_window / window.nominal_length), 12)
            policy.append(
                BurnRateCondition(c.severity, long_window, parse_duration(c.short_window), fraction)
            )
    problems = check_policy(policy, window.nominal_length)
    if problems:
        raise ValueError("; ".join(problems))
    if alerting.conditions is None or _is_workbook(policy):
        return None  # stored as "the default", which reads back the same way
    from sentinel.slo.spec import condition_to_json

    return [condition_to_json(c) for c in policy]


class SloCreate(SloFields):
    name: Name
    service: Name
    target: Target
    window: str | WindowIn = Field("30d", description='"30d", "month", or a window object.')

    @model_validator(mode="after")
    def _consistent(self) -> SloCreate:
        window = window_from_json(parse_window(self.window))
        conditions_json(self.alerting, window)
        return self


class SloUpdate(BaseModel):
    """Fields to change; the rest stay as they are."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    service: Name | None = None
    description: str | None = Field(None, max_length=10_000)
    target: Target | None = None
    window: str | WindowIn | None = None
    budgeting: Literal["occurrences", "timeslices"] | None = None
    timeslice_target: float | None = Field(None, gt=0, lt=1)
    sli: SliIn | None = None
    alerting: AlertingIn | None = None
    labels: dict[str, str] | None = None


class SloOut(BaseModel):
    id: int
    name: str
    service: str
    description: str
    target: float
    window: dict[str, Any]
    budgeting: str
    timeslice_target: float | None
    sli: dict[str, Any]
    alerting: dict[str, Any]
    labels: dict[str, str]
    source_error: str | None
    source_error_at: datetime | None
    last_evaluated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class Measurement(BaseModel):
    good: float = Field(ge=0, validation_alias=AliasChoices("good", "good_events"))
    total: float = Field(ge=0, validation_alias=AliasChoices("total", "total_events"))
    timestamp: UtcDatetime | None = Field(
        None, validation_alias=AliasChoices("timestamp", "time"), description="Default: now."
    )

    @model_validator(mode="after")
    def _good_within_total(self) -> Measurement:
        if self.good > self.total:
            raise ValueError(f"good ({self.good:g}) cannot exceed total ({self.total:g})")
        return self


class MeasurementBatch(BaseModel):
    """One measurement (good, total, timestamp) or a batch under `measurements`."""

    measurements: list[Measurement] | None = Field(None, max_length=100_000)
    good: float | None = Field(None, ge=0, validation_alias=AliasChoices("good", "good_events"))
    total: float | None = Field(None, ge=0, validation_alias=AliasChoices("total", "total_events"))
    timestamp: UtcDatetime | None = Field(None, validation_alias=AliasChoices("timestamp", "time"))

    def items(self) -> list[Measurement]:
        if self.measurements is not None:
            if self.good is not None or self.total is not None:
                raise ValueError("send either good/total or measurements, not both")
            return self.measurements
        if self.good is None or self.total is None:
            raise ValueError("a measurement needs good and total")
        return [Measurement(good=self.good, total=self.total, timestamp=self.timestamp)]

    @model_validator(mode="after")
    def _valid(self) -> MeasurementBatch:
        self.items()
        return self


class MeasurementsAccepted(BaseModel):
    accepted: int
    minutes: int


class ExclusionIn(BaseModel):
    """One-time: start and end. Recurring: every "day" or "week" (with days 0=Mon..6=Sun),
    starting at `start` (its local time of day in `tz`) for `duration`, until `end`."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=2000)
    start: UtcDatetime
    end: UtcDatetime | None = None
    every: Literal["day", "week"] | None = None
    duration: str | None = None
    days: list[int] = Field(default_factory=list, max_length=7)
    tz: str = Field("UTC", max_length=64)

    @model_validator(mode="after")
    def _shape(self) -> ExclusionIn:
        if self.every is None:
            if self.end is None or self.end <= self.start:
                raise ValueError("a one-time exclusion needs an end after its start")
        else:
            if self.duration is None:
                raise ValueError("a recurring exclusion needs a duration")
            d = parse_duration(self.duration)
            if not timedelta(minutes=1) <= d <= timedelta(days=7):
                raise ValueError("duration must be between 1m and 7d")
            if self.every == "week" and not self.days:
                raise ValueError("a weekly exclusion needs days (0=Monday … 6=Sunday)")
            if any(not 0 <= day <= 6 for day in self.days):
                raise ValueError("days are 0 (Monday) to 6 (Sunday)")
            SloWindow.calendar("week", self.tz)  # validates the time zone
        return self


class ExclusionOut(BaseModel):
    id: int
    slo_id: int
    reason: str
    start: datetime
    end: datetime | None
    every: str | None
    duration_seconds: int | None
    days: list[int]
    tz: str
    created_by: str
    created_at: datetime
