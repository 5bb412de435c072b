"""Open alerts and their groups in Alertmanager's API v2 shapes (gettableAlert,
alertGroup), with Alertmanager's filters: label matchers, a receiver regex (anchored),
and active / silenced / inhibited.

An alert sits in the group of every route it took (alert_group_members): its primary
group and those of the routes matched through `continue`. Its `receivers` are those of
all its groups, as Alertmanager lists every route's receiver.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import store
from sentinel.alerting.matchers import Matcher, matches_all
from sentinel.alerting.models import Alert, AlertGroup
from sentinel.alerting.severity import AlertStatus
from sentinel.ingest.alertmanager.wire import iso

DEFAULT_RECEIVER = "default"


@dataclass(frozen=True)
class Filters:
    """Alertmanager's query parameters for GET /alerts and /alerts/groups."""

    matchers: Sequence[Matcher] = ()
    receiver: re.Pattern[str] | None = None
    active: bool = True
    silenced: bool = True
    inhibited: bool = True


def receiver_pattern(text: str | None) -> re.Pattern[str] | None:
    """Alertmanager anchors the receiver regex: ^(?:text)$; an empty one is no filter (its
    clients leave an empty receiver out). Raises re.error."""
    return re.compile(f"^(?:{text})$") if text else None


@dataclass(frozen=True)
class Clock:
    """The time of the request and the resolve timeout, for endsAt."""

    now: datetime
    resolve_timeout: timedelta


@dataclass(frozen=True)
class Status:
    state: str  # active | suppressed
    silenced_by: list[str]
    inhibited_by: list[str]


def status_of(alert: Alert) -> Status:
    """Alertmanager has no maintenance windows; the closest it has is a silence, so an
    alert a window mutes is silenced by `maintenance:<window id>` (hidden by silenced=false,
    listed by `amtool alert query --silenced`)."""
    muted = alert.muted_by or ""
    kind, _, ref = muted.partition(":")
    return Status(
        "suppressed" if muted else "active",
        [ref] if kind == "silence" else [muted] if kind == "maintenance" else [],
        [ref] if kind == "inhibition" else [],
    )


def ends_at(alert: Alert, now: datetime, resolve_timeout: timedelta) -> datetime:
    """Alertmanager's endsAt. Open: the sender's endsAt (or the resolve timeout it runs
    on); an alert whose sender gives no end and expects no timeout (the brief's API,
    webhooks, rules) is still asserted now, so Alertmanager's `last update +
    resolve_timeout` is `now + resolve_timeout` — never a past endsAt, which clients read
    as resolved. Resolved: when it resolved."""
    if alert.status == AlertStatus.RESOLVED:
        return alert.resolved_at or alert.ends_at or alert.last_seen_at
    if alert.ends_at is not None:
        return alert.ends_at
    return max(alert.last_seen_at, now) + resolve_timeout


def shown(alert: Alert, filters: Filters) -> bool:
    """Alertmanager's alertFilter: state flags, then the label matchers."""
    st = status_of(alert)
    if st.state == "active" and not filters.active:
        return False
    if st.silenced_by and not filters.silenced:
        return False
    if st.inhibited_by and not filters.inhibited:
        return False
    return matches_all(filters.matchers, alert.labels)


def gettable_alert(alert: Alert, receivers: Sequence[str], clock: Clock) -> dict[str, Any]:
    st = status_of(alert)
    out: dict[str, Any] = {
        "labels": alert.labels,
        "annotations": alert.annotations,
        "startsAt": iso(alert.starts_at),
        "endsAt": iso(ends_at(alert, clock.now, clock.resolve_timeout)),
        "updatedAt": iso(alert.updated_at),
        "fingerprint": alert.fingerprint,
        "receivers": [{"name": r} for r in receivers],
        "status": {"state": st.state, "silencedBy": st.silenced_by, "inhibitedBy": st.inhibited_by},
    }
    if alert.generator_url:  # Alertmanager leaves an empty one out
        out["generatorURL"] = alert.generator_url
    return out


def _receivers(
    group_ids: list[int], groups: dict[int, AlertGroup], only: re.Pattern[str] | None = None
) -> list[str]:
    names = [groups[g].receiver for g in group_ids if g in groups]
    if only is not None:  # the groups view lists only the receivers the filter keeps
        names = [n for n in names if only.match(n)]
    return list(dict.fromkeys(names)) or [DEFAULT_RECEIVER]


async def alerts_view(
    session: AsyncSession, filters: Filters, clock: Clock
) -> list[dict[str, Any]]:
    """GET /api/v2/alerts: open alerts, sorted by fingerprint as Alertmanager does."""
    current = await store.open_alerts(session)
    alerts, member, groups = current.alerts, current.memberships, current.groups
    out = []
    for alert in sorted(alerts, key=lambda a: a.fingerprint):
        receivers = _receivers(member[alert.id], groups)
        if filters.receiver is not None and not any(filters.receiver.match(r) for r in receivers):
            continue
        if shown(alert, filters):
            out.append(gettable_alert(alert, receivers, clock))
    return out


async def groups_view(
    session: AsyncSession, filters: Filters, clock: Clock
) -> list[dict[str, Any]]:
    """GET /api/v2/alerts/groups: every group holding an open alert that passes the
    filters, as {labels, receiver: {name}, alerts: [gettableAlert]}; groups whose
    receiver does not match the regex, or with no alert left, are left out."""
    current = await store.open_alerts(session)
    alerts, member, groups = current.alerts, current.memberships, current.groups
    held: dict[int, list[Alert]] = {}
    for alert in alerts:
        for group_id in member[alert.id]:
            held.setdefault(group_id, []).append(alert)
    out: list[tuple[list[tuple[str, str]], str, dict[str, Any]]] = []
    for group_id, members in held.items():
        group = groups.get(group_id)
        if group is None:
            continue
        if filters.receiver is not None and not filters.receiver.match(group.receiver):
            continue
        visible = sorted((a for a in members if shown(a, filters)), key=lambda a: a.fingerprint)
        if not visible:
            continue
        body = {
            "labels": group.labels,
            "receiver": {"name": group.receiver},
            "alerts": [
                gettable_alert(a, _receivers(member[a.id], groups, filters.receiver), clock)
                for a in visible
            ],
        }
        out.append((sorted(group.labels.items()), group.receiver, body))
    # Alertmanager's order: by group labels, then receiver.
    return [body for *_, body in sorted(out, key=lambda g: (g[0], g[1]))]
