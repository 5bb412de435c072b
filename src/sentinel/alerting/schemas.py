"""API shapes of the alerting domain (Sentinel's own API; wire formats live in ingest/)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sentinel.alerting.matchers import (
    LABEL_NAME,
    MatcherError,
    parse_matchers,
    selects_everything,
)
from sentinel.alerting.severity import AlertStatus, Severity

Name = Annotated[str, Field(min_length=1, max_length=200)]
MAX_LABELS = 64


@lru_cache(maxsize=4096)
def valid_label_name(name: str) -> bool:
    return LABEL_NAME.match(name) is not None


def check_labels(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_LABELS:
        raise ValueError(f"at most {MAX_LABELS} labels")
    for name, label_value in value.items():
        if not valid_label_name(name):
            raise ValueError(f"{name!r} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)")
        if len(label_value) > 1024:
            raise ValueError(f"the value of label {name!r} is longer than 1024 characters")
    return value


def check_matchers(value: list[str]) -> list[str]:
    for text in value:
        try:
            parse_matchers(text)
        except MatcherError as exc:
            raise ValueError(str(exc)) from None
    return value


def check_muting_matchers(value: list[str]) -> list[str]:
    """Matchers of a silence or maintenance window: valid, and not muting every alert."""
    check_matchers(value)
    if selects_everything(m for text in value for m in parse_matchers(text)):
        raise ValueError(
            "at least one matcher must not match the empty string"
            " (as written, these would mute every alert)"
        )
    return value


def check_label_names(value: list[str]) -> list[str]:
    for name in value:
        if not valid_label_name(name):
            raise ValueError(f"{name!r} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)")
    return value


class AlertCreate(BaseModel):
    """The brief's alert: its example body works as-is. Labels beyond alertname and service
    (from alert_name and service_name) are optional and become part of the identity."""

    model_config = ConfigDict(extra="ignore")

    service_name: Name
    alert_name: Name
    alert_type: str = Field("threshold", max_length=40)
    severity: Severity = Severity.MEDIUM
    title: str = Field("", max_length=1000)
    description: str = Field("", max_length=10_000)
    current_value: float | None = None
    threshold_value: float | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    _labels = field_validator("labels")(classmethod(lambda cls, v: check_labels(v)))


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str]
    alert_name: str
    service: str
    alert_type: str
    title: str
    description: str
    severity: Severity
    status: AlertStatus
    source: str
    generator_url: str
    starts_at: datetime
    ends_at: datetime | None
    resolved_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    last_seen_at: datetime
    count: int
    occurrences: int
    current_value: float | None
    threshold_value: float | None
    muted_by: str | None
    group_id: int | None


class AlertCreated(AlertOut):
    action: Literal["created", "updated", "reopened", "resolved", "ignored", "acknowledged"]


class SilenceAlertRequest(BaseModel):
    duration_minutes: int = Field(60, ge=1, le=60 * 24 * 90)
    comment: str = Field("", max_length=2000)


class AlertEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    alert_id: int | None
    group_id: int | None
    kind: str
    at: datetime
    actor: str | None
    detail: dict[str, Any]


class OccurrenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    alert_id: int
    severity: str
    started_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None
    count: int


class AlertGroupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    group_key: str
    route_id: int | None
    receiver: str
    team_id: int | None
    escalation_policy_id: int | None
    channels: list[str]
    labels: dict[str, str]
    status: str
    reason: str
    alert_count: int
    group_wait_s: float
    group_interval_s: float
    repeat_interval_s: float
    created_at: datetime
    next_flush_at: datetime
    last_notified_at: datetime | None


class PagingGroupOut(BaseModel):
    """An alert group holding open alerts: what one page will be about."""

    group: AlertGroupOut
    alerts: list[AlertOut]


class GroupedAlertsOut(BaseModel):
    groups: list[PagingGroupOut]
    ungrouped: list[AlertOut] = Field(description="Open alerts in no group (yet).")


class RouteIn(BaseModel):
    name: Name
    parent_id: int | None = None
    position: int = 0
    matchers: list[str] = Field(default_factory=list, max_length=50)
    continue_matching: bool = False
    receiver: str | None = Field(None, max_length=200)
    team_id: int | None = None
    escalation_policy_id: int | None = None
    channels: list[str] | None = None
    group_by: list[str] | None = None
    group_wait_s: float | None = Field(None, ge=0, le=86400)
    group_interval_s: float | None = Field(None, gt=0, le=86400)
    repeat_interval_s: float | None = Field(None, gt=0, le=86400 * 30)

    _matchers = field_validator("matchers")(classmethod(lambda cls, v: check_matchers(v)))


class RouteOut(RouteIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime


class SilenceIn(BaseModel):
    matchers: list[str] = Field(min_length=1, max_length=50)
    starts_at: datetime | None = None
    ends_at: datetime
    comment: str = Field("", max_length=2000)

    _matchers = field_validator("matchers")(classmethod(lambda cls, v: check_muting_matchers(v)))


class SilenceOut(BaseModel):
    id: str
    matchers: list[str]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    state: str


class InhibitionIn(BaseModel):
    name: Name
    source_matchers: list[str] = Field(min_length=1, max_length=50)
    target_matchers: list[str] = Field(min_length=1, max_length=50)
    equal: list[str] = Field(default_factory=list, max_length=50)

    _src = field_validator("source_matchers")(classmethod(lambda cls, v: check_matchers(v)))
    _dst = field_validator("target_matchers")(classmethod(lambda cls, v: check_matchers(v)))
    _equal = field_validator("equal")(classmethod(lambda cls, v: check_label_names(v)))


class InhibitionOut(InhibitionIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime


class MaintenanceWindowIn(BaseModel):
    name: Name
    matchers: list[str] = Field(min_length=1, max_length=50)
    weekdays: list[int] = Field(min_length=1, max_length=7, description="0 = Monday")
    start_time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM local")
    duration_s: float = Field(gt=0, le=7 * 86400)
    time_zone: str = "UTC"

    _matchers = field_validator("matchers")(classmethod(lambda cls, v: check_muting_matchers(v)))

    @field_validator("weekdays")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        if any(d < 0 or d > 6 for d in v):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return sorted(set(v))

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


class MaintenanceWindowOut(MaintenanceWindowIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_by: str
    created_at: datetime


class RuleIn(BaseModel):
    """A custom alert rule: `source` measures a value (see /api/alerting/rule-sources),
    compared with `threshold`; it fires after the breach holds for `for_s` seconds."""

    name: Name
    source: str = Field(min_length=1, max_length=40)
    params: dict[str, Any] = Field(default_factory=dict)
    condition: Literal["threshold", "anomaly"] = Field(
        "threshold",
        description="threshold: compare the value; anomaly: compare its robust z-score "
        "against the rule's last 30 values (e.g. comparator '>' threshold 3).",
    )
    comparator: Literal[">", ">=", "<", "<=", "==", "!="] = ">"
    threshold: float
    for_s: float = Field(0, ge=0, le=7 * 86400)
    no_data: Literal["ok", "alerting", "keep_state", "nodata"] = "ok"
    severity: Severity = Severity.MEDIUM
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    enabled: bool = True

    _labels = field_validator("labels")(classmethod(lambda cls, v: check_labels(v)))

    @field_validator("params")
    @classmethod
    def _params(cls, v: dict[str, Any]) -> dict[str, Any]:
        matchers = v.get("matchers", [])
        if not isinstance(matchers, list) or not all(isinstance(m, str) for m in matchers):
            raise ValueError("params.matchers must be a list of matcher strings")
        check_matchers(matchers)
        window = v.get("window_s", 300)
        if not isinstance(window, int | float) or not 1 <= window <= 30 * 86400:
            raise ValueError("params.window_s must be a number of seconds (1 to 30 days)")
        return v


class RuleOut(RuleIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    state: str
    state_since: datetime | None
    last_eval_at: datetime | None
    last_value: float | None
    created_at: datetime


class RuleStateChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    from_state: str
    to_state: str
    value: float | None


class RuleSourceOut(BaseModel):
    name: str
    description: str
    wired: bool
