"""Incident statistics (MTTA, MTTR, counts) and the post-mortem document."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import lifecycle as alert_lifecycle
from sentinel.api.errors import NotFound
from sentinel.incidents import postmortem, schemas, store
from sentinel.incidents.lifecycle import is_open
from sentinel.incidents.models import Incident
from sentinel.incidents.response_times import elapsed, summarize

PERIOD_FORMATS = {"day": "%Y-%m-%d", "week": "%G-W%V", "month": "%Y-%m"}


def _stats(values: list[float]) -> schemas.DurationStats:
    s = summarize(values)
    return schemas.DurationStats(
        count=s.count,
        mean_seconds=s.mean_seconds,
        median_seconds=s.median_seconds,
        p90_seconds=s.p90_seconds,
    )


async def statistics(
    session: AsyncSession, start: datetime, end: datetime, period: str
) -> schemas.IncidentStatistics:
    """MTTA and MTTR (mean, median, p90) and counts by severity, status, service and period
    of the incidents that started in [start, end). An incident merged into another is
    counted there, not twice."""
    incidents = [
        i for i in await store.started_between(session, start, end) if i.merged_into_id is None
    ]
    mtta = [e for i in incidents if (e := elapsed(i.started_at, i.acknowledged_at)) is not None]
    mttr = [e for i in incidents if (e := elapsed(i.started_at, i.resolved_at)) is not None]
    by_service: Counter[str] = Counter()
    for i in incidents:
        by_service.update(set(i.affected_services))
    fmt = PERIOD_FORMATS[period]
    return schemas.IncidentStatistics(
        start=start,
        end=end,
        total=len(incidents),
        open=sum(1 for i in incidents if is_open(i.status)),
        mtta=_stats(mtta),
        mttr=_stats(mttr),
        by_severity=dict(Counter(i.severity for i in incidents)),
        by_status=dict(Counter(i.status for i in incidents)),
        by_service=dict(by_service.most_common()),
        by_period=dict(sorted(Counter(i.started_at.strftime(fmt) for i in incidents).items())),
        period=period,
    )


async def alert_rows(session: AsyncSession, incident: Incident) -> list[dict[str, Any]]:
    links = (await store.linked_alerts(session, [incident.id])).get(incident.id, [])
    rows = []
    for link in links:
        try:
            alert = await alert_lifecycle.get_alert(session, link.alert_id)
        except NotFound:
            continue  # deleted by retention: the timeline still names it
        rows.append(
            {
                "alert_id": alert.id,
                "alert_name": alert.alert_name,
                "severity": alert.severity,
                "service": alert.service,
                "title": alert.title,
                "status": alert.status,
                "fired_at": alert.starts_at,
                "resolved_at": alert.resolved_at,
                "labels": alert.labels,
            }
        )
    return rows


async def post_mortem(
    session: AsyncSession, incident: Incident, suggestions: list[dict[str, Any]]
) -> dict[str, Any]:
    """The post-mortem document (JSON) built from the incident and its timeline."""
    people = (await store.participants(session, [incident.id])).get(incident.id, [])
    timeline = [
        {"at": e.at, "kind": e.kind, "author": e.author, "message": e.message}
        for e in await store.timeline(session, incident.id)
    ]
    items = [
        {"id": a.id, "title": a.title, "owner": a.owner, "status": a.status, "due_at": a.due_at}
        for a in await store.action_items(session, incident.id)
    ]
    facts = {
        "id": incident.id,
        "title": incident.title,
        "description": incident.description,
        "status": incident.status,
        "severity": incident.severity,
        "priority": incident.priority,
        "started_at": incident.started_at,
        "acknowledged_at": incident.acknowledged_at,
        "resolved_at": incident.resolved_at,
        "affected_services": incident.affected_services,
        "commander": incident.commander,
        "participants": [{"name": p.name, "role": p.role} for p in people],
        "root_cause": incident.root_cause,
    }
    return postmortem.build(
        facts, timeline, await alert_rows(session, incident), suggestions, items
    )
