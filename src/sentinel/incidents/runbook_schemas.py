"""API shapes of runbooks and their runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from sentinel.incidents import templating
from sentinel.incidents.secrets import REDACTED

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


class StepIn(BaseModel):
    """An automated HTTP step. url, header values and body strings are templates over
    `incident`, `alerts` and `alert` (the first linked alert)."""

    name: str = Field(min_length=1, max_length=200)
    method: HttpMethod = "POST"
    url: str = Field(min_length=1, max_length=4000)
    headers: dict[str, str] = Field(default_factory=dict, max_length=50)
    secret_headers: dict[str, str] = Field(
        default_factory=dict,
        max_length=20,
        description=f"Write-only; stored encrypted, shown as {REDACTED!r}. Send {REDACTED!r} "
        "to keep the stored value on an update.",
    )
    body: Any = None
    timeout_s: float = Field(10.0, gt=0, le=300)
    requires_approval: bool = False
    auto_run: bool = Field(
        False,
        description="Run when an incident opens from alerts (a safe first step); with "
        "requires_approval it is parked for a responder instead.",
    )

    @model_validator(mode="after")
    def _templates_parse(self) -> StepIn:
        """Broken placeholders are refused on save; missing fields show when it runs."""
        for part, template in (("url", self.url), ("headers", self.headers), ("body", self.body)):
            try:
                templating.check(template)
            except templating.TemplateError as exc:
                raise ValueError(f"step {self.name!r} {part}: {exc}") from None
        return self


class RunbookIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    markdown: str = Field("", max_length=200_000)
    services: list[str] = Field(default_factory=list, max_length=100)
    alert_names: list[str] = Field(default_factory=list, max_length=100)
    steps: list[StepIn] = Field(default_factory=list, max_length=50)

    @field_validator("steps")
    @classmethod
    def _unique_steps(cls, steps: list[StepIn]) -> list[StepIn]:
        names = [s.name for s in steps]
        if len(names) != len(set(names)):
            raise ValueError("step names must be unique within a runbook")
        return steps


class StepOut(BaseModel):
    name: str
    method: str
    url: str
    headers: dict[str, str]
    secret_headers: dict[str, str]
    body: Any
    timeout_s: float
    requires_approval: bool
    auto_run: bool = False


class RunbookOut(BaseModel):
    id: int
    name: str
    markdown: str
    services: list[str]
    alert_names: list[str]
    steps: list[StepOut]
    created_at: datetime
    updated_at: datetime


class RunIn(BaseModel):
    dry_run: bool = False


class RunOut(BaseModel):
    id: int
    incident_id: int
    runbook_id: int
    step: str
    status: str
    dry_run: bool
    requested_by: str
    approved_by: str | None
    request: dict[str, Any]
    response_status: int | None
    response_excerpt: str
    error: str
    created_at: datetime
    finished_at: datetime | None
