"""API shapes of the incidents domain (never ORM objects)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from sentinel.incidents.lifecycle import IncidentStatus
from sentinel.timeutil import UtcDatetime

SeverityName = Literal["critical", "high", "medium", "low", "info"]
Priority = Literal["P1", "P2", "P3", "P4", "P5"]
Role = Literal["commander", "communications", "scribe", "responder"]
ServiceName = Field(min_length=1, max_length=200)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _web_link(value: str | None) -> str | None:
    if value is not None and not value.lower().startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// link (null clears it)")
    return value


Text = Annotated[str, AfterValidator(_not_blank)]
ChatUrl = Annotated[str | None, AfterValidator(_web_link)]
# Fields PATCH does not change, and where they are changed instead.
_ELSEWHERE = {
    "status": "POST /api/incidents/{id}/status",
    "commander": "POST /api/incidents/{id}/assign",
    "participants": "POST /api/incidents/{id}/assign",
    "root_cause": "POST /api/incidents/{id}/root-cause",
    "alert_ids": "POST /api/incidents/{id}/alerts",
}


class IncidentCreate(BaseModel):
    title: Text = Field(min_length=1, max_length=500)
    description: str = Field("", max_length=20_000)
    severity: SeverityName = "high"
    priority: Priority | None = None
    affected_services: list[str] = Field(default_factory=list, max_length=100)
    commander: Text | None = Field(None, min_length=1, max_length=200)
    chat_url: ChatUrl = Field(None, max_length=2000)
    team_id: int | None = None
    alert_ids: list[int] = Field(default_factory=list, max_length=500)
    started_at: UtcDatetime | None = None


class IncidentUpdate(BaseModel):
    """Partial update of the descriptive fields (status has its own endpoint)."""

    model_config = ConfigDict(extra="forbid")

    title: Text | None = Field(None, min_length=1, max_length=500)
    description: str | None = Field(None, max_length=20_000)
    severity: SeverityName | None = None
    priority: Priority | None = None
    affected_services: list[str] | None = Field(None, max_length=100)
    chat_url: ChatUrl = Field(None, max_length=2000)
    team_id: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _changed_elsewhere(cls, data: Any) -> Any:
        """A field with an endpoint of its own is refused by name (not silently dropped)."""
        if isinstance(data, dict):
            for key, where in _ELSEWHERE.items():
                if key in data:
                    raise ValueError(f"{key} is not changed by PATCH; use {where}")
        return data


class StatusChange(BaseModel):
    status: IncidentStatus
    message: str = Field("", max_length=5000)


class UpdateIn(BaseModel):
    """A war-room update or note."""

    message: Text = Field(min_length=1, max_length=20_000)
    kind: Literal["update", "note"] = "update"


class AssignIn(BaseModel):
    """Assign a person to a role; `commander` replaces the incident's commander."""

    name: Text = Field(min_length=1, max_length=200)
    role: Role = "commander"
    remove: bool = False


class MergeIn(BaseModel):
    """The incident to merge into this one (it is closed, pointing here)."""

    source_id: int


class RootCauseIn(BaseModel):
    summary: Text = Field(min_length=1, max_length=20_000)
    service: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=100)


class ActionItemIn(BaseModel):
    """A new action item; it starts open (its status changes by PATCH)."""

    model_config = ConfigDict(extra="forbid")

    title: Text = Field(min_length=1, max_length=2000)
    owner: str | None = Field(None, max_length=200)
    due_at: UtcDatetime | None = None


class ActionItemUpdate(BaseModel):
    title: Text | None = Field(None, min_length=1, max_length=2000)
    owner: str | None = Field(None, max_length=200)
    status: Literal["open", "in_progress", "done"] | None = None
    due_at: UtcDatetime | None = None


class ActionItemOut(BaseModel):
    id: int
    incident_id: int
    title: str
    owner: str | None
    status: str
    due_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class ParticipantOut(BaseModel):
    name: str
    role: str
    added_by: str
    added_at: datetime


class LinkedAlertOut(BaseModel):
    alert_id: int
    group_id: int | None
    service: str
    linked_by: str
    linked_at: datetime


class IncidentOut(BaseModel):
    id: int
    title: str
    description: str
    status: IncidentStatus
    severity: str
    priority: str | None
    affected_services: list[str]
    commander: str | None
    team_id: int | None
    participants: list[ParticipantOut]
    source: str
    creation_reason: str
    chat_url: str | None
    root_cause: dict[str, Any] | None
    merged_into_id: int | None = None
    allowed_transitions: list[IncidentStatus]
    alert_ids: list[int]
    started_at: datetime
    acknowledged_at: datetime | None
    identified_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class TimelineEntryOut(BaseModel):
    id: int
    incident_id: int
    at: datetime
    kind: str
    author: str
    message: str
    detail: dict[str, Any]


class DurationStats(BaseModel):
    count: int
    mean_seconds: float | None
    median_seconds: float | None
    p90_seconds: float | None


class IncidentStatistics(BaseModel):
    start: datetime
    end: datetime
    total: int
    open: int
    mtta: DurationStats
    mttr: DurationStats
    by_severity: dict[str, int]
    by_status: dict[str, int]
    by_service: dict[str, int]
    by_period: dict[str, int]
    period: str


class PolicyIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    position: int = 0
    min_severity: SeverityName | None = "high"
    group_threshold: int | None = Field(None, ge=1, le=10_000)
    group_window_s: float = Field(300.0, gt=0, le=86_400)
    route_ids: list[int] = Field(default_factory=list, max_length=100)
    matchers: list[str] = Field(default_factory=list, max_length=50)
    auto_resolve_minutes: float | None = Field(
        None,
        gt=0,
        le=10_080,
        description="Resolve an incident this policy opened once all its linked alerts have "
        "been resolved for this many minutes (off when empty).",
    )
    enabled: bool = True


class PolicyOut(PolicyIn):
    id: int
    created_at: datetime
    updated_at: datetime


class SuggestionOut(BaseModel):
    kind: str
    subject: str
    service: str | None
    score: float
    summary: str
    evidence: dict[str, Any]


class Suggestions(BaseModel):
    incident_id: int
    window_start: datetime
    window_end: datetime
    baseline_start: datetime
    suggestions: list[SuggestionOut]
