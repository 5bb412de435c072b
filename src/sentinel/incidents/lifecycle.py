"""The incident state machine. Pure.

Forward moves may skip steps (a responder who already knows the cause goes straight from
triggered to identified; a false alarm is resolved at once). Backward moves are the ones
an SRE actually makes: a fix that did not hold sends monitoring back to investigating, a
resolved incident that recurs is reopened. Closed is final: it means the post-mortem is
done.
"""

from __future__ import annotations

from enum import StrEnum


class IncidentStatus(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    CLOSED = "closed"


S = IncidentStatus

ALLOWED: dict[IncidentStatus, tuple[IncidentStatus, ...]] = {
    S.TRIGGERED: (S.ACKNOWLEDGED, S.INVESTIGATING, S.IDENTIFIED, S.MONITORING, S.RESOLVED),
    S.ACKNOWLEDGED: (S.INVESTIGATING, S.IDENTIFIED, S.MONITORING, S.RESOLVED),
    S.INVESTIGATING: (S.IDENTIFIED, S.MONITORING, S.RESOLVED),
    S.IDENTIFIED: (S.INVESTIGATING, S.MONITORING, S.RESOLVED),
    S.MONITORING: (S.INVESTIGATING, S.IDENTIFIED, S.RESOLVED),
    S.RESOLVED: (S.INVESTIGATING, S.CLOSED),
    S.CLOSED: (),
}

OPEN_STATUSES = frozenset(s for s in IncidentStatus if s not in (S.RESOLVED, S.CLOSED))
# Any of these means somebody has picked the incident up: the end of "time to acknowledge".
ACKNOWLEDGING = frozenset(s for s in IncidentStatus if s is not S.TRIGGERED)


class IllegalTransition(ValueError):
    """A status change the lifecycle does not allow; `allowed` lists what would be."""

    def __init__(self, current: IncidentStatus, target: IncidentStatus) -> None:
        self.current = current
        self.target = target
        self.allowed = list(ALLOWED[current])
        allowed = ", ".join(s.value for s in self.allowed) or "none (closed is final)"
        super().__init__(
            f"An incident cannot go from {current.value} to {target.value}; "
            f"allowed from {current.value}: {allowed}."
        )


def check_transition(current: IncidentStatus, target: IncidentStatus) -> None:
    """Raise IllegalTransition unless `current` → `target` is allowed."""
    if target not in ALLOWED[current]:
        raise IllegalTransition(current, target)


def is_open(status: IncidentStatus | str) -> bool:
    return IncidentStatus(status) in OPEN_STATUSES
