"""Incidents from alerts: the worker reads alert_events after its own cursor, applies the
creation policies to routed alerts, attaches related alerts to open incidents and puts
acknowledges and resolves of linked alerts on their timelines.

Restart-safe: the cursor row moves in the same transaction as the incidents it caused,
and it is locked while a batch runs, so replicas take turns. alert_events is the
alerting domain's documented event log (its docstring: "read this like a log").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import lifecycle as alert_lifecycle
from sentinel.alerting.matchers import MatcherError, parse_matchers
from sentinel.alerting.models import Alert, AlertEvent
from sentinel.api.errors import NotFound
from sentinel.incidents import policy, schemas, service, store, timeline
from sentinel.incidents.config import IncidentSettings
from sentinel.incidents.cursors import lock_cursor
from sentinel.incidents.models import Incident, IncidentPolicy
from sentinel.storage.commit_order import Followed, visible_high_water
from sentinel.worker import store as worker_store

CURSOR = "alert_events"
AUTHOR = "sentinel"
AUTO_RUNBOOKS_JOB = "incidents.runbooks.auto"


def policy_of(row: IncidentPolicy) -> policy.CreationPolicy:
    try:
        matchers = tuple(m for text in row.matchers for m in parse_matchers(text))
    except MatcherError:
        matchers = ()  # validated on write; an old bad row matches everything it can
    return policy.CreationPolicy(
        name=row.name,
        min_severity=row.min_severity,
        group_threshold=row.group_threshold,
        group_window_s=row.group_window_s,
        route_ids=tuple(row.route_ids),
        matchers=matchers,
        enabled=row.enabled,
        policy_id=row.id,
        auto_resolve_minutes=row.auto_resolve_minutes,
    )


async def policies(
    session: AsyncSession, settings: IncidentSettings
) -> list[policy.CreationPolicy]:
    rows = (
        await session.scalars(
            select(IncidentPolicy).order_by(IncidentPolicy.position, IncidentPolicy.id)
        )
    ).all()
    if rows:
        return [policy_of(r) for r in rows]
    if settings.default_min_severity == "off":
        return []
    return [
        policy.CreationPolicy(
            "default",
            min_severity=settings.default_min_severity,
            auto_resolve_minutes=settings.default_auto_resolve_minutes or None,
        )
    ]


class _OpenSet:
    """The open incidents, kept current while one batch creates and links. It holds the
    links of the batch's alerts and groups only: those are all its lookups ask about, and
    an incident with thousands of alerts then costs a batch what the batch touches."""

    def __init__(
        self,
        incidents: list[Incident],
        alert_links: list[tuple[int, int]],
        group_links: list[tuple[int, int]],
    ) -> None:
        self.by_id = {i.id: i for i in incidents}
        # What this batch put on each incident and has not written yet, in order: attached
        # alerts and timeline entries, written together at the end of the batch (runs of
        # alerts through service.link_alerts, of entries through timeline.add_entries).
        self.unwritten: dict[int, list[Alert | timeline.NewEntry]] = {}
        self.refs = {
            i.id: policy.OpenIncident(
                i.id,
                frozenset(g for incident_id, g in group_links if incident_id == i.id),
                frozenset(a for incident_id, a in alert_links if incident_id == i.id),
                frozenset(i.affected_services),
                i.started_at,
            )
            for i in incidents
        }

    def add(self, incident: Incident, alert: Alert, group_id: int | None) -> None:
        ref = self.refs.get(incident.id) or policy.OpenIncident(
            incident.id, opened_at=incident.started_at
        )
        self.by_id[incident.id] = incident
        self.refs[incident.id] = policy.OpenIncident(
            incident.id,
            ref.group_ids | ({group_id} if group_id is not None else set()),
            ref.alert_ids | {alert.id},
            ref.services | ({alert.service} if alert.service else set()),
            ref.opened_at,
        )

    def attach(self, incident: Incident, alert: Alert, group_id: int | None) -> None:
        self.unwritten.setdefault(incident.id, []).append(alert)
        self.add(incident, alert, group_id)

    def note(self, incident: Incident, entry: timeline.NewEntry) -> None:
        self.unwritten.setdefault(incident.id, []).append(entry)

    async def write(self, session: AsyncSession, now: datetime) -> None:
        """Write what the batch attached and noted, incident by incident, in order."""
        for incident_id, items in self.unwritten.items():
            incident = self.by_id[incident_id]
            for is_alert, run in groupby(items, key=lambda item: isinstance(item, Alert)):
                if is_alert:
                    alerts = [a for a in run if isinstance(a, Alert)]
                    await service.link_alerts(session, incident, alerts, AUTHOR, now)
                else:
                    entries = [e for e in run if isinstance(e, timeline.NewEntry)]
                    await timeline.add_entries(session, incident, entries)
        self.unwritten = {}

    def with_alert(self, alert_id: int) -> list[Incident]:
        return [self.by_id[i] for i, ref in self.refs.items() if alert_id in ref.alert_ids]

    def with_group(self, group_id: int) -> list[Incident]:
        return [self.by_id[i] for i, ref in self.refs.items() if group_id in ref.group_ids]


async def _events(session: AsyncSession, after: int, limit: int) -> list[AlertEvent]:
    """The next events after the cursor, up to the id below which every insert has
    committed or rolled back (PostgreSQL commits ids out of order)."""
    through = await visible_high_water(session, Followed.ALERT_EVENTS)
    if through <= after:
        return []
    stmt = select(AlertEvent).where(AlertEvent.id > after, AlertEvent.id <= through)
    return list((await session.scalars(stmt.order_by(AlertEvent.id).limit(limit))).all())


async def _group_alerts(
    session: AsyncSession, group_id: int, since: datetime, until_id: int
) -> list[tuple[int, datetime]]:
    stmt = select(AlertEvent.alert_id, AlertEvent.at).where(
        AlertEvent.group_id == group_id,
        AlertEvent.kind == "routed",
        AlertEvent.at >= since,
        AlertEvent.id <= until_id,
    )
    return [(a, at) for a, at in (await session.execute(stmt)).all() if a is not None]


async def _on_routed(
    session: AsyncSession,
    event: AlertEvent,
    rules: list[policy.CreationPolicy],
    open_set: _OpenSet,
    settings: IncidentSettings,
    now: datetime,
) -> None:
    if event.alert_id is None:
        return
    try:
        alert = await alert_lifecycle.get_alert(session, event.alert_id)
    except NotFound:
        return  # deleted since
    labels = {**alert.labels, "severity": alert.severity, "service": alert.service}
    labels.setdefault("alertname", alert.alert_name)
    route_id = event.detail.get("route_id") if isinstance(event.detail, dict) else None
    fact = policy.AlertFact(
        alert_id=alert.id,
        severity=alert.severity,
        service=alert.service,
        labels=labels,
        at=event.at,
        group_id=event.group_id,
        route_id=route_id if isinstance(route_id, int) else None,
        title=alert.title,
    )
    window = timedelta(seconds=settings.attach_window_seconds)
    target = policy.attach_to(list(open_set.refs.values()), fact, window)
    if target is not None:
        open_set.attach(open_set.by_id[target.incident_id], alert, event.group_id)
        return
    if alert.status == "resolved":
        return  # it is over already: nothing to open
    longest = max((p.group_window_s for p in rules if p.group_threshold), default=0.0)
    group: list[tuple[int, datetime]] = []
    if event.group_id is not None and longest:
        since = event.at - timedelta(seconds=longest)
        group = await _group_alerts(session, event.group_id, since, event.id)
    decision = policy.evaluate(rules, fact, [at for _, at in group])
    if decision is None:
        return
    body = schemas.IncidentCreate(
        title=(alert.title or alert.alert_name)[:480]
        + (f" ({alert.service})" if alert.service else ""),
        description=alert.description[:20_000],
        severity=alert.severity if alert.severity in policy.SEVERITIES else "high",
        alert_ids=[alert.id],
        team_id=team_id if isinstance(team_id := event.detail.get("team_id"), int) else None,
    )
    incident = await service.create_incident(
        session,
        body,
        AUTHOR,
        now,
        source="alert",
        reason=decision.reason,
        policy_id=decision.policy.policy_id,
    )
    open_set.add(incident, alert, event.group_id)
    # Runbook auto-run steps make HTTP calls: a job of their own, after this commits.
    await worker_store.enqueue(
        session,
        AUTO_RUNBOOKS_JOB,
        {"incident_id": incident.id},
        run_at=now,
        dedup_key=f"{AUTO_RUNBOOKS_JOB}:{incident.id}",
    )
    if decision.policy.group_threshold:
        for other_id, _at in group:
            if other_id != alert.id:
                other = await alert_lifecycle.get_alert(session, other_id)
                await service.link_alert(session, incident, other, AUTHOR, now)
                open_set.add(incident, other, event.group_id)


async def _on_alert_change(
    session: AsyncSession, event: AlertEvent, open_set: _OpenSet, now: datetime
) -> None:
    if event.alert_id is None:
        return
    for incident in open_set.with_alert(event.alert_id):
        who = event.actor or "alerting"
        open_set.note(
            incident,
            timeline.NewEntry(
                "alert",
                who,
                f"Alert {event.alert_id} {event.kind}",
                now,
                {
                    "alert_id": event.alert_id,
                    "alert_event": event.kind,
                    "event_at": event.at.isoformat(),
                },
            ),
        )


async def _on_notify(
    session: AsyncSession, event: AlertEvent, open_set: _OpenSet, now: datetime
) -> None:
    """A group notification of an incident's alerts goes on its timeline: responders see
    who was paged, and when."""
    if event.group_id is None:
        return
    detail = event.detail if isinstance(event.detail, dict) else {}
    receiver = detail.get("receiver") or "the default receiver"
    channels = ", ".join(map(str, detail.get("channels") or [])) or "no channels"
    for incident in open_set.with_group(event.group_id):
        open_set.note(
            incident,
            timeline.NewEntry(
                "notification",
                event.actor or "alerting",
                f"Alert group {event.group_id} notified {receiver} ({channels}): "
                f"{detail.get('decision', 'notify')}, {detail.get('open_alerts', '?')} open "
                "alerts",
                now,
                {
                    "group_id": event.group_id,
                    "receiver": detail.get("receiver"),
                    "channels": detail.get("channels") or [],
                    "event_at": event.at.isoformat(),
                },
            ),
        )


async def consume_alert_events(
    session: AsyncSession, now: datetime, settings: IncidentSettings
) -> int:
    """Handle the next batch of alert events after the cursor; returns how many."""
    cursor = await lock_cursor(session, CURSOR)
    rows = await _events(session, cursor.last_id, settings.batch_events)
    if not rows:
        return 0
    rules = await policies(session, settings)
    open_incidents = await store.open_incidents(session)
    alert_ids = sorted({e.alert_id for e in rows if e.alert_id is not None})
    group_ids = sorted({e.group_id for e in rows if e.group_id is not None})
    alert_links, group_links = await store.links_touching(
        session, [i.id for i in open_incidents], alert_ids, group_ids
    )
    open_set = _OpenSet(open_incidents, alert_links, group_links)
    # The routed alerts in one query rather than one each: they stay in the session's
    # identity map (held by this list until the batch ends), where get_alert finds them.
    routed = [e.alert_id for e in rows if e.kind == "routed" and e.alert_id is not None]
    _preloaded = (
        (await session.scalars(select(Alert).where(Alert.id.in_(routed)))).all() if routed else []
    )
    for event in rows:
        if event.kind == "routed":
            await _on_routed(session, event, rules, open_set, settings, now)
        elif event.kind in ("acknowledged", "resolved"):
            await _on_alert_change(session, event, open_set, now)
        elif event.kind == "notify":
            await _on_notify(session, event, open_set, now)
    await open_set.write(session, now)
    cursor.last_id = rows[-1].id
    cursor.updated_at = now
    return len(rows)
