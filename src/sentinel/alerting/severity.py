"""Severities and alert states, and how other tools' severities map onto ours. Pure."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class AlertStatus(StrEnum):
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    SILENCED = "silenced"


OPEN_STATUSES = (AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED, AlertStatus.SILENCED)

RANK = {s: i for i, s in enumerate(Severity)}  # 0 = most severe

# The words Prometheus rules, PagerDuty and Grafana use for severity in the wild.
_ALIASES = {
    "critical": Severity.CRITICAL,
    "crit": Severity.CRITICAL,
    "fatal": Severity.CRITICAL,
    "page": Severity.CRITICAL,
    "p1": Severity.CRITICAL,
    "high": Severity.HIGH,
    "error": Severity.HIGH,
    "err": Severity.HIGH,
    "major": Severity.HIGH,
    "p2": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "warning": Severity.MEDIUM,
    "warn": Severity.MEDIUM,
    "p3": Severity.MEDIUM,
    "low": Severity.LOW,
    "minor": Severity.LOW,
    "p4": Severity.LOW,
    "info": Severity.INFO,
    "informational": Severity.INFO,
    "none": Severity.INFO,
    "debug": Severity.INFO,
    "p5": Severity.INFO,
}


def parse_severity(value: str | None) -> Severity | None:
    """Our severity for a known word (case-insensitive), or None when unknown."""
    if value is None:
        return None
    return _ALIASES.get(value.strip().lower())


def severity_from_label(value: str | None) -> Severity:
    """Label values are free text in Prometheus: unknown or missing ones count as medium,
    because rejecting a firing alert over a label spelling would lose a page."""
    return parse_severity(value) or Severity.MEDIUM
