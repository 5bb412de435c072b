"""Incident operations: create, status changes, updates, assignment, root cause, alerts.

Every change writes a timeline entry with its author in the same transaction, and
queues a live event that is published when (and only if) that transaction commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import lifecycle as alert_lifecycle
from sentinel.alerting.models import Alert
from sentinel.api.errors import BadRequest, Conflict, NotFound
from sentinel.auth import service as auth_service
from sentinel.incidents import schemas, store
from sentinel.incidents.lifecycle import (
    ACKNOWLEDGING,
    IllegalTransition,
    IncidentStatus,
    check_transition,
)
from sentinel.incidents.models import Incident, IncidentAlert, IncidentParticipant, TimelineEntry
from sentinel.incidents.policy import SEVERITIES, severity_rank
from sentinel.incidents.timeline import NewEntry, add_entries, add_entry

S = IncidentStatus


async def get_incident(session: AsyncSession, incident_id: int, *, lock: bool = False) -> Incident:
    stmt = select(Incident).where(Incident.id == incident_id)
    if lock:
        stmt = stmt.with_for_update()
    incident = (await session.scalars(stmt)).first()
    if incident is None:
        raise NotFound(f"No incident with id {incident_id}.")
    return incident


async def _check_team(session: AsyncSession, team_id: int) -> None:
    try:
        await auth_service.get_team(session, team_id)
    except NotFound:
        raise BadRequest(f"No team with id {team_id}.") from None


def _services(names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        name = name.strip()
        if not name or len(name) > 200:
            raise BadRequest("Service names must be 1 to 200 characters.")
        if name not in out:
            out.append(name)
    return out


async def create_incident(
    session: AsyncSession,
    body: schemas.IncidentCreate,
    author: str,
    now: datetime,
    *,
    source: str = "manual",
    reason: str = "",
    policy_id: int | None = None,
) -> Incident:
    """Open an incident (status triggered), link the named alerts, name the commander."""
    alerts = [await alert_lifecycle.get_alert(session, a) for a in dict.fromkeys(body.alert_ids)]
    if body.team_id is not None:
        await _check_team(session, body.team_id)
    services = _services(body.affected_services + [a.service for a in alerts if a.service])
    started = body.started_at or min([now, *(a.starts_at for a in alerts)])
    incident = Incident(
        title=body.title,
        description=body.description,
        status=S.TRIGGERED.value,
        severity=body.severity,
        priority=body.priority,
        affected_services=services,
        commander=body.commander,
        team_id=body.team_id,
        source=source,
        creation_reason=reason,
        policy_id=policy_id,
        chat_url=body.chat_url,
        started_at=started,
        created_by=author,
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    await session.flush()
    what = f"Incident opened ({body.severity})" + (f": {reason}" if reason else "")
    await add_entry(session, incident, "created", author, what, now, source=source)
    if body.commander:
        await _add_participant(session, incident, body.commander, "commander", author, now)
    for alert in alerts:
        await link_alert(session, incident, alert, author, now)
    return incident


async def _add_participant(
    session: AsyncSession, incident: Incident, name: str, role: str, author: str, now: datetime
) -> None:
    exists = await session.scalar(
        select(IncidentParticipant.id).where(
            IncidentParticipant.incident_id == incident.id,
            IncidentParticipant.name == name,
            IncidentParticipant.role == role,
        )
    )
    if exists is None:
        session.add(
            IncidentParticipant(
                incident_id=incident.id, name=name, role=role, added_by=author, added_at=now
            )
        )
    await add_entry(
        session, incident, "assignment", author, f"{name} is {role}", now, name=name, role=role
    )


async def link_alert(
    session: AsyncSession, incident: Incident, alert: Alert, author: str, now: datetime
) -> bool:
    """Link an alert (idempotent); the alert's service joins the affected services, and a
    more severe alert raises the incident's severity (linked or re-fired)."""
    return await link_alerts(session, incident, [alert], author, now) == 1


async def link_alerts(
    session: AsyncSession, incident: Incident, alerts: Sequence[Alert], author: str, now: datetime
) -> int:
    """link_alert for each alert in order, with one lookup and one flush for them all (an
    alert storm attaches hundreds per batch); returns how many were newly linked."""
    if not alerts:
        return 0
    already = set(
        await session.scalars(
            select(IncidentAlert.alert_id).where(
                IncidentAlert.incident_id == incident.id,
                IncidentAlert.alert_id.in_({a.id for a in alerts}),
            )
        )
    )
    linked = set(already)
    links: list[dict[str, Any]] = []
    entries: list[NewEntry] = []
    for alert in alerts:
        if alert.id not in linked:
            linked.add(alert.id)
            links.append(
                {
                    "incident_id": incident.id,
                    "alert_id": alert.id,
                    "group_id": alert.group_id,
                    "service": alert.service,
                    "linked_by": author,
                    "linked_at": now,
                }
            )
            if alert.service and alert.service not in incident.affected_services:
                incident.affected_services = [*incident.affected_services, alert.service]
            incident.updated_at = now
            entries.append(_linked_entry(alert, author, now))
        if _raises(incident, alert):  # its entry follows the ones before it
            await _write_links(session, links, entries, incident)
            links, entries = [], []
            await escalate(session, incident, alert, author, now)
    await _write_links(session, links, entries, incident)
    return len(linked) - len(already)


async def _write_links(
    session: AsyncSession,
    links: list[dict[str, Any]],
    entries: list[NewEntry],
    incident: Incident,
) -> None:
    if links:  # one executemany; the rows are not needed as objects here
        await session.execute(insert(IncidentAlert), links)
    await add_entries(session, incident, entries)


def _linked_entry(alert: Alert, author: str, now: datetime) -> NewEntry:
    return NewEntry(
        "alert",
        author,
        f"Alert {alert.id} linked: [{alert.severity}] {alert.alert_name} on "
        f"{alert.service or '-'}" + (f": {alert.title}" if alert.title else ""),
        now,
        {
            "alert_id": alert.id,
            "severity": alert.severity,
            "service": alert.service,
            "group_id": alert.group_id,
        },
    )


def _raises(incident: Incident, alert: Alert) -> bool:
    return alert.severity in SEVERITIES and severity_rank(alert.severity) < severity_rank(
        incident.severity
    )


async def escalate(
    session: AsyncSession, incident: Incident, alert: Alert, author: str, now: datetime
) -> bool:
    """Raise the incident's severity to its alert's when the alert is more severe."""
    if not _raises(incident, alert):
        return False
    before, incident.severity, incident.updated_at = incident.severity, alert.severity, now
    await add_entry(
        session,
        incident,
        "severity",
        author,
        f"Severity raised {before} → {alert.severity}: alert {alert.id} "
        f"({alert.alert_name}) is {alert.severity}",
        now,
        **{"from": before, "to": alert.severity, "alert_id": alert.id},
    )
    return True


async def _acknowledge_alerts(
    session: AsyncSession, incident: Incident, author: str, now: datetime
) -> None:
    """Picking up an incident acknowledges its open alerts, so their escalation stops
    paging people who are already on it."""
    links = (await store.linked_alerts(session, [incident.id])).get(incident.id, [])
    for link in links:
        try:
            await alert_lifecycle.acknowledge(session, link.alert_id, author, now)
        except (NotFound, Conflict):
            continue  # resolved or deleted since: nothing to stop


async def change_status(
    session: AsyncSession,
    incident: Incident,
    target: IncidentStatus,
    author: str,
    now: datetime,
    message: str = "",
    *,
    acknowledges: bool = True,
) -> Incident:
    """Move the incident along its lifecycle; 409 with the allowed moves otherwise. The
    first move out of triggered acknowledges it, unless `acknowledges` is False (the
    system resolving it: nobody picked it up, so MTTA does not count it)."""
    current = IncidentStatus(incident.status)
    try:
        check_transition(current, target)
    except IllegalTransition as exc:
        raise Conflict(
            str(exc),
            slug="illegal-transition",
            extra={"current": current.value, "allowed": [s.value for s in exc.allowed]},
        ) from None
    incident.status = target.value
    incident.updated_at = now
    if target in ACKNOWLEDGING and incident.acknowledged_at is None and acknowledges:
        incident.acknowledged_at = now
        await _acknowledge_alerts(session, incident, author, now)
    if target is S.IDENTIFIED and incident.identified_at is None:
        incident.identified_at = now
    if target is S.RESOLVED:
        incident.resolved_at = now
    if target is S.INVESTIGATING and current is S.RESOLVED:
        incident.resolved_at = None  # reopened: MTTR counts to the final resolve
    if target is S.CLOSED:
        incident.closed_at = now
    text = f"Status {current.value} → {target.value}" + (f": {message}" if message else "")
    await add_entry(
        session, incident, "status", author, text, now, **{"from": current.value, "to": target}
    )
    return incident


async def post_update(
    session: AsyncSession, incident: Incident, body: schemas.UpdateIn, author: str, now: datetime
) -> TimelineEntry:
    incident.updated_at = now
    return await add_entry(session, incident, body.kind, author, body.message, now)


async def assign(
    session: AsyncSession, incident: Incident, body: schemas.AssignIn, author: str, now: datetime
) -> None:
    """Give a person a war-room role (or take it away); commander is also on the incident."""
    if body.remove:
        row = await session.scalar(
            select(IncidentParticipant).where(
                IncidentParticipant.incident_id == incident.id,
                IncidentParticipant.name == body.name,
                IncidentParticipant.role == body.role,
            )
        )
        if row is None:
            raise NotFound(f"{body.name} is not {body.role} of incident {incident.id}.")
        await session.delete(row)
        if body.role == "commander" and incident.commander == body.name:
            incident.commander = None
        await add_entry(
            session,
            incident,
            "assignment",
            author,
            f"{body.name} is no longer {body.role}",
            now,
            name=body.name,
            role=body.role,
            removed=True,
        )
        return
    if body.role == "commander":
        previous = incident.commander
        if previous and previous != body.name:
            old = await session.scalar(
                select(IncidentParticipant).where(
                    IncidentParticipant.incident_id == incident.id,
                    IncidentParticipant.name == previous,
                    IncidentParticipant.role == "commander",
                )
            )
            if old is not None:
                await session.delete(old)
        incident.commander = body.name
    incident.updated_at = now
    await _add_participant(session, incident, body.name, body.role, author, now)


async def record_root_cause(
    session: AsyncSession,
    incident: Incident,
    body: schemas.RootCauseIn,
    author: str,
    now: datetime,
) -> Incident:
    incident.root_cause = {
        "summary": body.summary,
        "service": body.service,
        "category": body.category,
        "author": author,
        "at": now.isoformat(),
    }
    incident.updated_at = now
    await add_entry(
        session,
        incident,
        "root_cause",
        author,
        f"Root cause recorded: {body.summary}",
        now,
        service=body.service,
        category=body.category,
    )
    return incident


async def update_incident(
    session: AsyncSession,
    incident: Incident,
    body: schemas.IncidentUpdate,
    author: str,
    now: datetime,
) -> Incident:
    changes = body.model_dump(exclude_unset=True)
    if "affected_services" in changes:
        changes["affected_services"] = _services(changes["affected_services"] or [])
    if changes.get("team_id") is not None:
        await _check_team(session, changes["team_id"])
    for key in ("title", "severity"):
        if key in changes and changes[key] is None:
            raise BadRequest(f"{key} cannot be empty.")
    changed = {k: v for k, v in changes.items() if getattr(incident, k) != v}
    if not changed:
        return incident
    for key, value in changed.items():
        setattr(incident, key, value)
    incident.updated_at = now
    await add_entry(
        session,
        incident,
        "edited",
        author,
        "Changed " + ", ".join(sorted(changed)),
        now,
        changes={k: v for k, v in changed.items() if k != "description"},
    )
    return incident
