"""Incident operations beyond the lifecycle: merge a duplicate into another, delete one,
and resolve incidents whose alerts have all been resolved for a while (per policy)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.api.errors import BadRequest, Conflict
from sentinel.incidents import events, store
from sentinel.incidents.config import IncidentSettings
from sentinel.incidents.insights import alert_rows
from sentinel.incidents.lifecycle import IncidentStatus, is_open
from sentinel.incidents.models import (
    ActionItem,
    Incident,
    IncidentAlert,
    IncidentPolicy,
    RunbookRun,
    TimelineEntry,
)
from sentinel.incidents.policy import severity_rank
from sentinel.incidents.service import change_status, get_incident
from sentinel.incidents.timeline import add_entry

SYSTEM = "sentinel"


async def lock_pair(session: AsyncSession, a: int, b: int) -> tuple[Incident, Incident]:
    """Both incidents, locked in id order (two merges of the same pair cannot deadlock)."""
    if a == b:
        raise BadRequest("An incident cannot be merged into itself.")
    first = await get_incident(session, min(a, b), lock=True)
    second = await get_incident(session, max(a, b), lock=True)
    return (first, second) if first.id == a else (second, first)


def _earliest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


async def merge(
    session: AsyncSession, target: Incident, source: Incident, author: str, now: datetime
) -> dict[str, int]:
    """Merge `source` into `target`: its alerts, timeline entries, participants, action
    items and runbook runs move to the target (a fact both hold is kept once); the target
    takes the earlier start and acknowledgement and the higher severity; the source is
    closed with one entry saying where it went. Returns what moved."""
    for incident, role in ((target, "target"), (source, "source")):
        if incident.status == IncidentStatus.CLOSED.value:
            raise Conflict(
                f"Incident {incident.id} is closed and cannot be the {role} of a merge.",
                slug="incident-closed",
            )
    have = set(
        await session.scalars(
            select(IncidentAlert.alert_id).where(IncidentAlert.incident_id == target.id)
        )
    )
    links = (await store.linked_alerts(session, [source.id])).get(source.id, [])
    moved_alerts = 0
    for link in links:
        if link.alert_id in have:
            await session.delete(link)
        else:
            link.incident_id = target.id
            moved_alerts += 1
    target.affected_services = list(
        dict.fromkeys([*target.affected_services, *source.affected_services])
    )
    # Facts already on the target's timeline (e.g. the same delivery attempt) stay once.
    await session.execute(
        delete(TimelineEntry).where(
            TimelineEntry.incident_id == source.id,
            TimelineEntry.dedup_key.in_(
                select(TimelineEntry.dedup_key).where(
                    TimelineEntry.incident_id == target.id, TimelineEntry.dedup_key.is_not(None)
                )
            ),
        )
    )
    moved_entries = await session.execute(
        update(TimelineEntry)
        .where(TimelineEntry.incident_id == source.id)
        .values(incident_id=target.id)
    )
    people = await store.participants(session, [target.id, source.id])
    held = {(p.name, p.role) for p in people.get(target.id, [])}
    moved_people = 0
    for person in people.get(source.id, []):
        if (person.name, person.role) in held:
            await session.delete(person)
        else:
            person.incident_id = target.id
            moved_people += 1
    if target.commander is None and source.commander is not None:
        target.commander = source.commander
    for model in (ActionItem, RunbookRun):
        await session.execute(
            update(model).where(model.incident_id == source.id).values(incident_id=target.id)
        )
    target.started_at = min(target.started_at, source.started_at)
    target.acknowledged_at = _earliest(target.acknowledged_at, source.acknowledged_at)
    target.identified_at = _earliest(target.identified_at, source.identified_at)
    severity_before = target.severity
    if severity_rank(source.severity) < severity_rank(target.severity):
        target.severity = source.severity
    target.updated_at = now
    await session.flush()
    counts = {
        "alerts": moved_alerts,
        "timeline_entries": int(getattr(moved_entries, "rowcount", 0) or 0),
        "participants": moved_people,
    }
    text = (
        f"Incident {source.id} ({source.title}) merged into this incident: "
        f"{counts['alerts']} alert(s), {counts['timeline_entries']} timeline entries, "
        f"{counts['participants']} participant(s)"
    )
    if target.severity != severity_before:
        text += f"; severity raised {severity_before} → {target.severity}"
    await add_entry(session, target, "merge", author, text, now, source_id=source.id, **counts)
    before = source.status
    source.status, source.merged_into_id = IncidentStatus.CLOSED.value, target.id
    source.resolved_at = source.resolved_at or now
    source.closed_at, source.updated_at = now, now
    await add_entry(
        session,
        source,
        "merged",
        author,
        f"Merged into incident {target.id} ({target.title}); closed. Its alerts, timeline "
        "and participants are there now.",
        now,
        into=target.id,
        **{"from": before, "to": IncidentStatus.CLOSED.value},
    )
    return counts


async def delete_incident(session: AsyncSession, incident: Incident) -> None:
    """Delete the incident with everything on it (links, timeline, participants, action
    items, runbook runs go with it); live subscribers get a `deleted` event."""
    await session.delete(incident)
    await session.flush()
    await events.queue_event(session, {"type": "deleted", "incident_id": incident.id})


async def _auto_resolve_minutes(
    session: AsyncSession, incidents: list[Incident], settings: IncidentSettings
) -> dict[int, float]:
    ids = {i.policy_id for i in incidents if i.policy_id is not None}
    rows = (
        (
            await session.execute(
                select(IncidentPolicy.id, IncidentPolicy.auto_resolve_minutes).where(
                    IncidentPolicy.id.in_(ids)
                )
            )
        ).all()
        if ids
        else []
    )
    by_policy = {pid: minutes for pid, minutes in rows if minutes}
    out: dict[int, float] = {}
    for incident in incidents:
        if incident.policy_id is not None:
            minutes = by_policy.get(incident.policy_id)
        elif incident.source == "alert":
            minutes = settings.default_auto_resolve_minutes or None
        else:
            minutes = None  # opened by hand: a person resolves it
        if minutes:
            out[incident.id] = minutes
    return out


async def auto_resolve(session: AsyncSession, now: datetime, settings: IncidentSettings) -> int:
    """Resolve open incidents (opened by a policy with auto-resolve) whose linked alerts
    have all been resolved for the policy's minutes; the system is the author, and it
    does not count as an acknowledgement. Returns how many were resolved."""
    candidates = [i for i in await store.open_incidents(session) if i.source == "alert"]
    minutes = await _auto_resolve_minutes(session, candidates, settings)
    resolved = 0
    for incident in candidates:
        wait = minutes.get(incident.id)
        if wait is None:
            continue
        alerts = await alert_rows(session, incident)
        if not alerts or any(a["status"] != "resolved" for a in alerts):
            continue
        last = max((a["resolved_at"] for a in alerts if a["resolved_at"]), default=None)
        if last is None or now - last < timedelta(minutes=wait):
            continue
        locked = await get_incident(session, incident.id, lock=True)
        if not is_open(locked.status):
            continue  # a person moved it meanwhile
        await change_status(
            session,
            locked,
            IncidentStatus.RESOLVED,
            SYSTEM,
            now,
            f"all {len(alerts)} linked alert(s) resolved for {wait:g} min (auto-resolve)",
            acknowledges=False,
        )
        resolved += 1
    return resolved
