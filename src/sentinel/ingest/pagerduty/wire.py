"""PagerDuty Events API v2 event shapes and their decoding. No HTTP here.

PagerDuty's own rules: event_action is trigger, acknowledge or resolve; a trigger needs
payload.summary, payload.source and payload.severity (critical, error, warning, info);
acknowledge and resolve need the dedup_key of the trigger.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sentinel.alerting.pipeline import IncomingAlert
from sentinel.alerting.severity import Severity

SEVERITIES = {
    "critical": Severity.CRITICAL,
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "info": Severity.INFO,
}
ACTIONS = ("trigger", "acknowledge", "resolve")


class InvalidEvent(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _text(obj: dict[str, Any], key: str, where: str, errors: list[str], limit: int) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        errors.append(f"'{where}{key}' is missing or blank")
        return ""
    if len(value) > limit:
        errors.append(f"'{where}{key}' is longer than {limit} characters")
    return value


def decode_event(raw: Any, integration: str, now: datetime) -> tuple[IncomingAlert, str]:
    """An incoming alert and the dedup_key for the response; InvalidEvent lists problems."""
    if not isinstance(raw, dict):
        raise InvalidEvent(["Event object must be a JSON object"])
    errors: list[str] = []
    action = raw.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' must be one of trigger, acknowledge, resolve")
    dedup_key = raw.get("dedup_key")
    if dedup_key is not None and (not isinstance(dedup_key, str) or len(dedup_key) > 255):
        errors.append("'dedup_key' must be a string of at most 255 characters")
    if action in ("acknowledge", "resolve") and not dedup_key:
        errors.append(f"'dedup_key' is required to {action}")
    payload = raw.get("payload")
    summary = source = ""
    severity = Severity.MEDIUM
    details: dict[str, Any] = {}
    if action == "trigger":
        if not isinstance(payload, dict):
            errors.append("'payload' is missing or not an object")
            payload = {}
        summary = _text(payload, "summary", "payload.", errors, 1024)
        source = _text(payload, "source", "payload.", errors, 255)
        sev = payload.get("severity")
        if sev not in SEVERITIES:
            errors.append("'payload.severity' must be one of critical, error, warning, info")
        else:
            severity = SEVERITIES[sev]
        details = payload
    if errors:
        raise InvalidEvent(errors)
    key = dedup_key or uuid.uuid4().hex
    annotations = {"summary": summary, "source": source}
    for field in ("component", "group", "class"):
        if isinstance(details.get(field), str):
            annotations[field] = details[field]
    if "custom_details" in details:
        annotations["custom_details"] = json.dumps(details["custom_details"], default=str)[:10_000]
    alert = IncomingAlert(
        labels={"dedup_key": key, "integration": integration},
        source="pagerduty",
        severity=severity,
        annotations=annotations if action == "trigger" else {},
        alert_name=str(details.get("class") or summary)[:200] or "pagerduty",
        service=str(details.get("component") or source)[:200],
        title=summary,
        alert_type="pagerduty",
        resolve=action == "resolve",
        acknowledge=action == "acknowledge",
        starts_at=now,
    )
    return alert, key
