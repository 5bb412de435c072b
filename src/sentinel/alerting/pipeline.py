"""The ingest pipeline's pure stages: normalise → fingerprint → classify. No I/O.

Every wire format (brief API, Alertmanager v2, Alertmanager webhook, PagerDuty, generic
webhook) becomes IncomingAlert; the service then applies the classified transitions to
the store in one transaction per batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sentinel.alerting.fingerprint import fingerprint
from sentinel.alerting.severity import AlertStatus, Severity


@dataclass
class IncomingAlert:
    labels: dict[str, str]
    source: str
    severity: Severity
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    resolve: bool = False  # an explicit resolve (PagerDuty resolve, webhook "resolved")
    acknowledge: bool = False  # PagerDuty acknowledge
    alert_name: str = ""
    service: str = ""
    title: str = ""
    description: str = ""
    alert_type: str = ""
    generator_url: str = ""
    current_value: float | None = None
    threshold_value: float | None = None
    # Only an alert without an endsAt from its sender expires (Alertmanager semantics).
    expires: bool = False
    fingerprint: str = ""

    def __post_init__(self) -> None:
        if not self.fingerprint:
            self.fingerprint = fingerprint(self.labels)
        if not self.alert_name:
            self.alert_name = self.labels.get("alertname", "")
        if not self.service:
            self.service = (
                self.labels.get("service") or self.labels.get("job") or self.labels.get("app") or ""
            )
        if not self.title:  # empty stays empty: a re-send keeps the stored title
            self.title = self.annotations.get("summary", "")
        if not self.description:
            self.description = self.annotations.get("description", "")


def match_labels(
    labels: dict[str, str], alert_name: str, service: str, severity: str
) -> dict[str, str]:
    """What matchers see: the labels plus alertname/service/severity when absent, so a
    route on `severity="critical"` works for alerts from every source."""
    out = dict(labels)
    out.setdefault("alertname", alert_name)
    if service:
        out.setdefault("service", service)
    out.setdefault("severity", severity)
    return out


class Transition(StrEnum):
    NEW = "new"  # first time this label set is seen
    REOPEN = "reopen"  # seen before, resolved, firing again: a new occurrence
    REFRESH = "refresh"  # a re-send of an open alert: count, last seen, value
    ACKNOWLEDGE = "acknowledge"  # a sender-side acknowledge of an open alert
    RESOLVE = "resolve"  # an open alert resolves
    IGNORE = "ignore"  # a resolve for an alert that is not open


@dataclass(frozen=True)
class Known:
    """The stored state of an alert that classify needs."""

    id: int
    status: str
    count: int = 1
    group_id: int | None = None
    muted_by: str | None = None


def is_resolve(alert: IncomingAlert, now: datetime) -> bool:
    return alert.resolve or (alert.ends_at is not None and alert.ends_at <= now)


def classify(alert: IncomingAlert, known: Known | None, now: datetime) -> Transition:
    """What an incoming alert does to the stored one."""
    resolving = is_resolve(alert, now)
    open_ = known is not None and known.status != AlertStatus.RESOLVED
    if alert.acknowledge:  # a sender's acknowledge never creates or reopens an alert
        if open_ and known is not None and known.status == AlertStatus.FIRING:
            return Transition.ACKNOWLEDGE
        return Transition.REFRESH if open_ else Transition.IGNORE
    if resolving:
        return Transition.RESOLVE if open_ else Transition.IGNORE
    if known is None:
        return Transition.NEW
    if not open_:
        return Transition.REOPEN
    return Transition.REFRESH


def expected_end(
    alert: IncomingAlert, now: datetime, resolve_timeout: timedelta
) -> datetime | None:
    """When the alert resolves unless re-sent: the sender's endsAt, else the resolve
    timeout for senders that expect one, else never (until resolved explicitly)."""
    if alert.ends_at is not None:
        return alert.ends_at
    return now + resolve_timeout if alert.expires else None
