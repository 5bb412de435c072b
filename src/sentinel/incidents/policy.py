"""When an alert opens an incident, and which open incident a later alert joins. Pure.

A policy fires on one alert when its severity is at least `min_severity`, or when its
alert group has collected `group_threshold` alerts within `group_window_s` seconds.
Policies can be scoped to routes (by route id) and to labels (Alertmanager matchers).
Once an incident is open for a group or service, related alerts attach to it rather
than opening another: that is the whole point of an incident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sentinel.alerting.matchers import Matcher, matches_all

SEVERITIES = ("critical", "high", "medium", "low", "info")  # most severe first


def severity_rank(severity: str) -> int:
    """0 = critical; unknown severities rank as info."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES) - 1


def at_least(severity: str, floor: str) -> bool:
    return severity_rank(severity) <= severity_rank(floor)


@dataclass(frozen=True)
class CreationPolicy:
    name: str
    min_severity: str | None = "high"
    group_threshold: int | None = None
    group_window_s: float = 300.0
    route_ids: tuple[int, ...] = ()  # empty: every route
    matchers: tuple[Matcher, ...] = ()
    enabled: bool = True
    policy_id: int | None = None  # None: the built-in default
    auto_resolve_minutes: float | None = None


@dataclass(frozen=True)
class AlertFact:
    """What the policy needs to know about one fired alert."""

    alert_id: int
    severity: str
    service: str
    labels: Mapping[str, str]
    at: datetime
    group_id: int | None = None
    route_id: int | None = None
    title: str = ""


@dataclass(frozen=True)
class OpenIncident:
    incident_id: int
    group_ids: frozenset[int] = field(default_factory=frozenset)
    alert_ids: frozenset[int] = field(default_factory=frozenset)
    services: frozenset[str] = field(default_factory=frozenset)
    opened_at: datetime | None = None


@dataclass(frozen=True)
class Decision:
    policy: CreationPolicy
    reason: str


def _applies(policy: CreationPolicy, alert: AlertFact) -> bool:
    if not policy.enabled:
        return False
    if policy.route_ids and alert.route_id not in policy.route_ids:
        return False
    return matches_all(policy.matchers, alert.labels)


def evaluate(
    policies: Sequence[CreationPolicy], alert: AlertFact, group_fired_at: Sequence[datetime]
) -> Decision | None:
    """The first policy that says this alert should open an incident, with why.

    `group_fired_at` are the fire times of the alerts in the alert's group (this one
    included)."""
    for policy in policies:
        if not _applies(policy, alert):
            continue
        if policy.min_severity and at_least(alert.severity, policy.min_severity):
            return Decision(
                policy,
                f"severity {alert.severity} is at least {policy.min_severity} "
                f"(policy {policy.name!r})",
            )
        if policy.group_threshold and alert.group_id is not None:
            since = alert.at - timedelta(seconds=policy.group_window_s)
            recent = sum(1 for t in group_fired_at if since <= t <= alert.at)
            if recent >= policy.group_threshold:
                return Decision(
                    policy,
                    f"{recent} alerts in group {alert.group_id} within "
                    f"{policy.group_window_s:g}s (threshold {policy.group_threshold}, "
                    f"policy {policy.name!r})",
                )
    return None


def attach_to(
    open_incidents: Sequence[OpenIncident], alert: AlertFact, service_window: timedelta
) -> OpenIncident | None:
    """The open incident a related alert belongs to: the same alert (it re-fired), the
    same alert group, or — within `service_window` of the incident's opening — the same
    service. The newest such incident wins."""
    newest_first = sorted(open_incidents, key=lambda i: i.incident_id, reverse=True)
    for incident in newest_first:
        if alert.alert_id in incident.alert_ids:
            return incident
    for incident in newest_first:
        if alert.group_id is not None and alert.group_id in incident.group_ids:
            return incident
    for incident in newest_first:
        if alert.service and alert.service in incident.services:
            recent = incident.opened_at is None or alert.at - incident.opened_at <= service_window
            if recent:
                return incident
    return None
