"""Request and response shapes of the on-call API."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sentinel.oncall.contacts import ContactKind, check_address
from sentinel.timeutil import UtcDatetime

Name = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactMethodIn(Strict):
    kind: ContactKind
    address: str = Field(min_length=1, max_length=2000)
    label: str = Field("", max_length=200)

    @model_validator(mode="after")
    def _valid_address(self) -> ContactMethodIn:
        self.address = self.address.strip()
        problem = check_address(self.kind, self.address)
        if problem:
            raise ValueError(f"{self.kind} address {self.address!r}: {problem}")
        return self


class ContactMethodOut(BaseModel):
    id: int
    user_id: int
    kind: str
    address: str
    label: str
    created_at: datetime


class NotificationRuleIn(Strict):
    contact_method_id: int
    delay_minutes: float = Field(0, ge=0, le=24 * 60)


class NotificationRuleOut(BaseModel):
    id: int
    user_id: int
    contact_method_id: int
    delay_minutes: float


class RestrictionIn(Strict):
    """A daily window on ISO weekdays (1=Mon..7=Sun), local to the schedule's time zone;
    end <= start runs past midnight."""

    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(min_length=1)
    start: time
    end: time


class LayerIn(Strict):
    name: str = Field("", max_length=200)
    priority: int = Field(0, ge=-1000, le=1000, description="Higher wins.")
    participants: list[int] = Field(min_length=1, max_length=500)
    rotation: Literal["daily", "weekly", "custom"] = "weekly"
    shift_length_hours: float | None = Field(
        None, gt=0, le=24 * 366, description="Only for custom rotations."
    )
    start: datetime = Field(
        description="The first hand-off, local wall-clock time in the schedule's zone "
        "(no offset), e.g. 2026-01-05T09:00."
    )
    restrictions: list[RestrictionIn] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _shape(self) -> LayerIn:
        if self.start.tzinfo is not None:
            raise ValueError("layer start is local wall-clock time; leave out the UTC offset")
        if self.rotation == "custom" and self.shift_length_hours is None:
            raise ValueError("a custom rotation needs shift_length_hours")
        if self.rotation != "custom" and self.shift_length_hours is not None:
            raise ValueError("shift_length_hours is only for custom rotations")
        if self.shift_length_hours is not None and self.shift_length_hours * 60 < 1:
            raise ValueError("shift length must be at least one minute")
        return self

    def shift_length_s(self) -> float:
        if self.rotation == "daily":
            return 86400.0
        if self.rotation == "weekly":
            return 7 * 86400.0
        return float(self.shift_length_hours or 0) * 3600


class ScheduleIn(Strict):
    name: Name
    description: str = Field("", max_length=5000)
    time_zone: str = Field("UTC", max_length=64)
    team_id: int | None = None
    layers: list[LayerIn] = Field(default_factory=list, max_length=20)


class ScheduleOut(BaseModel):
    id: int
    name: str
    description: str
    time_zone: str
    team_id: int | None
    layers: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class OverrideIn(Strict):
    user_id: int
    start: UtcDatetime
    end: UtcDatetime
    replaces_user_id: int | None = Field(
        None, description="Set for a swap: only this person's shifts change hands."
    )


class OverridePatch(Strict):
    """Change an override in place; fields left out keep their value."""

    user_id: int | None = None
    start: UtcDatetime | None = None
    end: UtcDatetime | None = None
    replaces_user_id: int | None = Field(
        None, description="Set to make it a swap, null to make it a plain override."
    )

    @model_validator(mode="after")
    def _no_nulls(self) -> OverridePatch:
        for name in ("user_id", "start", "end"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class OverrideOut(BaseModel):
    id: int
    schedule_id: int
    user_id: int
    replaces_user_id: int | None
    start: datetime
    end: datetime
    created_by: str


class ShiftOut(BaseModel):
    user_id: int
    start: datetime
    end: datetime
    layer: int | None = Field(description="Layer index, or null for an override.")


class GapOut(BaseModel):
    start: datetime
    end: datetime


class LayerShiftsOut(BaseModel):
    """One layer's own rotation in the range (restrictions applied), before layers,
    swaps and overrides are merged into the final shifts."""

    index: int
    name: str
    priority: int
    shifts: list[ShiftOut]


class FinalShiftsOut(BaseModel):
    schedule_id: int
    start: datetime
    end: datetime
    shifts: list[ShiftOut]
    gaps: list[GapOut]
    layers: list[LayerShiftsOut] = Field(
        default_factory=list, description="Each layer's own shifts, for a timeline per layer."
    )


class OnCallOut(BaseModel):
    schedule_id: int
    at: datetime
    user_id: int | None
    shift: ShiftOut | None


class StepIn(Strict):
    kind: Literal["notify_users", "notify_schedule", "notify_team", "wait", "escalate_to"]
    targets: list[int] = Field(default_factory=list, max_length=100)
    wait_minutes: float = Field(0, ge=0, le=24 * 60)


class StepOut(BaseModel):
    kind: Literal["notify_users", "notify_schedule", "notify_team", "wait", "escalate_to"]
    targets: list[int]
    wait_minutes: float


class EscalationPolicyIn(Strict):
    name: Name
    description: str = Field("", max_length=5000)
    team_id: int | None = None
    repeat: int = Field(0, ge=0, le=20)
    steps: list[StepIn] = Field(min_length=1, max_length=50)


class EscalationPolicyOut(BaseModel):
    id: int
    name: str
    description: str
    team_id: int | None
    repeat: int
    steps: list[StepOut]
    created_at: datetime
    updated_at: datetime
