"""Alertmanager v2 shapes (from its OpenAPI spec) and their decoding. No HTTP here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from sentinel.alerting.pipeline import IncomingAlert
from sentinel.alerting.schemas import check_labels
from sentinel.alerting.severity import severity_from_label
from sentinel.timeutil import UtcDatetime

# Go's zero time, which Prometheus sends for "not set".
_ZERO_YEAR = 1


class PostableAlert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    labels: dict[str, str] = Field(min_length=1)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: UtcDatetime | None = None  # noqa: N815 - the wire name
    endsAt: UtcDatetime | None = None  # noqa: N815
    generatorURL: str = ""  # noqa: N815

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: dict[str, str]) -> dict[str, str]:
        v = check_labels(v)
        if not any(v.values()):
            raise ValueError("at least one label must have a non-empty value")
        return {k: val for k, val in v.items() if val != ""}  # empty value = absent label


POSTABLE = TypeAdapter(list[PostableAlert])


class WireError(ValueError):
    """The body is not what the protocol allows; `errors` says where."""

    def __init__(self, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.errors = errors


def _set(value: datetime | None) -> datetime | None:
    return None if value is None or value.year <= _ZERO_YEAR else value


def pydantic_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
        for e in exc.errors()[:20]
    ]


def decode_postable(body: bytes) -> list[PostableAlert]:
    try:
        alerts = POSTABLE.validate_json(body)
    except ValidationError as exc:
        errors = pydantic_errors(exc)
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:3])
        raise WireError(f"invalid alerts: {summary}", errors) from None
    for i, a in enumerate(alerts):
        starts, ends = _set(a.startsAt), _set(a.endsAt)
        if starts and ends and ends < starts:
            raise WireError(
                f"alert {i}: start time must be before end time",
                [{"field": f"{i}.endsAt", "message": "start time must be before end time"}],
            )
    return alerts


def to_incoming(
    a: PostableAlert, source: str, now: datetime, resolved: bool = False
) -> IncomingAlert:
    """Alertmanager semantics: labels are identity; endsAt in the past resolves; no
    endsAt means the alert expires after the resolve timeout unless re-sent."""
    ends = _set(a.endsAt)
    return IncomingAlert(
        labels=a.labels,
        source=source,
        severity=severity_from_label(a.labels.get("severity")),
        annotations=a.annotations,
        starts_at=_set(a.startsAt) or now,
        ends_at=ends,
        resolve=resolved,
        generator_url=a.generatorURL,
        expires=ends is None,
    )


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class WebhookAlert(PostableAlert):
    status: str = Field(pattern="^(firing|resolved)$")


class WebhookMessage(BaseModel):
    """What an Alertmanager webhook_config POSTs (version 4)."""

    model_config = ConfigDict(extra="ignore")

    version: str = "4"
    status: str = ""
    receiver: str = ""
    groupKey: str = ""  # noqa: N815
    alerts: list[WebhookAlert] = Field(max_length=10_000)


class Matcher(BaseModel):
    name: str = Field(min_length=1)
    value: str
    isRegex: bool  # noqa: N815
    isEqual: bool = True  # noqa: N815


class PostableSilence(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    matchers: list[Matcher] = Field(min_length=1, max_length=50)
    startsAt: UtcDatetime  # noqa: N815
    endsAt: UtcDatetime  # noqa: N815
    createdBy: str = Field(min_length=1, max_length=200)  # noqa: N815
    comment: str = Field(min_length=1, max_length=2000)
