"""Alertmanager v2 shapes (from its OpenAPI spec) and their decoding. No HTTP here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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


@dataclass(frozen=True)
class WireAlert:
    """One decoded alert of a push: what PostableAlert holds, without pydantic's cost."""

    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None
    generator_url: str


class WireError(ValueError):
    """The body is not what the protocol allows; `errors` says where."""

    def __init__(self, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.errors = errors


def pydantic_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
        for e in exc.errors()[:20]
    ]


def _fail(where: str, message: str) -> WireError:
    return WireError(f"{where}: {message}", [{"field": where, "message": message}])


def _strings(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _fail(where, "must be an object of string values")
    return value


def _time(value: Any, where: str) -> datetime | None:
    """RFC 3339 (Go's nanoseconds included); Go's zero time means "not set"."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _fail(where, "must be an RFC 3339 timestamp")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(where, f"{value[:40]!r} is not an RFC 3339 timestamp") from None
    if parsed.year <= _ZERO_YEAR:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def decode_postable(body: bytes) -> list[WireAlert]:
    """Decode and validate a whole push; the first problem rejects it (nothing is stored)."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise WireError(f"the body is not valid JSON: {exc}", []) from None
    if not isinstance(raw, list):
        raise _fail("body", "must be a JSON list of alerts")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise _fail(f"{i}", "each alert must be an object")
        labels = _strings(item.get("labels"), f"{i}.labels")
        try:
            check_labels(labels)
        except ValueError as exc:
            raise _fail(f"{i}.labels", str(exc)) from None
        labels = {k: v for k, v in labels.items() if v != ""}  # empty value = absent label
        if not labels:
            raise _fail(f"{i}.labels", "at least one label must have a non-empty value")
        starts = _time(item.get("startsAt"), f"{i}.startsAt")
        ends = _time(item.get("endsAt"), f"{i}.endsAt")
        if starts and ends and ends < starts:
            raise _fail(f"{i}.endsAt", "start time must be before end time")
        url = item.get("generatorURL") or ""
        if not isinstance(url, str):
            raise _fail(f"{i}.generatorURL", "must be a string")
        out.append(
            WireAlert(
                labels, _strings(item.get("annotations"), f"{i}.annotations"), starts, ends, url
            )
        )
    return out


def to_incoming(a: WireAlert, source: str, now: datetime, resolved: bool = False) -> IncomingAlert:
    """Alertmanager semantics: labels are identity; endsAt in the past resolves; no
    endsAt means the alert expires after the resolve timeout unless re-sent."""
    return IncomingAlert(
        labels=a.labels,
        source=source,
        severity=severity_from_label(a.labels.get("severity")),
        annotations=a.annotations,
        starts_at=a.starts_at or now,
        ends_at=a.ends_at,
        resolve=resolved,
        generator_url=a.generator_url,
        expires=a.ends_at is None,
    )


def from_model(a: PostableAlert) -> WireAlert:
    return WireAlert(a.labels, a.annotations, _set(a.startsAt), _set(a.endsAt), a.generatorURL)


def _set(value: datetime | None) -> datetime | None:
    return None if value is None or value.year <= _ZERO_YEAR else value


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
