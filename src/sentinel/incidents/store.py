"""Queries of the incidents domain; never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.incidents.lifecycle import OPEN_STATUSES
from sentinel.incidents.models import (
    ActionItem,
    Incident,
    IncidentAlert,
    IncidentParticipant,
    TimelineEntry,
)


async def participants(
    session: AsyncSession, incident_ids: Sequence[int]
) -> dict[int, list[IncidentParticipant]]:
    out: dict[int, list[IncidentParticipant]] = defaultdict(list)
    if not incident_ids:
        return out
    stmt = (
        select(IncidentParticipant)
        .where(IncidentParticipant.incident_id.in_(incident_ids))
        .order_by(IncidentParticipant.id)
    )
    for row in (await session.scalars(stmt)).all():
        out[row.incident_id].append(row)
    return out


async def linked_alerts(
    session: AsyncSession, incident_ids: Sequence[int]
) -> dict[int, list[IncidentAlert]]:
    out: dict[int, list[IncidentAlert]] = defaultdict(list)
    if not incident_ids:
        return out
    stmt = (
        select(IncidentAlert)
        .where(IncidentAlert.incident_id.in_(incident_ids))
        .order_by(IncidentAlert.id)
    )
    for row in (await session.scalars(stmt)).all():
        out[row.incident_id].append(row)
    return out


async def links_touching(
    session: AsyncSession,
    incident_ids: Sequence[int],
    alert_ids: Sequence[int],
    group_ids: Sequence[int],
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Which of these incidents hold which of these alerts, and which hold alerts of which
    of these alert groups, as (incident_id, alert_id) and distinct (incident_id, group_id)
    pairs: what a batch of alert events asks about, however many alerts the incidents
    hold."""
    by_alert: list[tuple[int, int]] = []
    by_group: list[tuple[int, int]] = []
    if incident_ids and alert_ids:
        rows = await session.execute(
            select(IncidentAlert.incident_id, IncidentAlert.alert_id).where(
                IncidentAlert.incident_id.in_(incident_ids), IncidentAlert.alert_id.in_(alert_ids)
            )
        )
        by_alert = [(i, a) for i, a in rows.all()]
    if incident_ids and group_ids:
        rows = await session.execute(
            select(IncidentAlert.incident_id, IncidentAlert.group_id)
            .where(
                IncidentAlert.incident_id.in_(incident_ids), IncidentAlert.group_id.in_(group_ids)
            )
            .distinct()
        )
        by_group = [(i, g) for i, g in rows.all() if g is not None]
    return by_alert, by_group


async def open_incidents(session: AsyncSession) -> list[Incident]:
    stmt = select(Incident).where(Incident.status.in_([s.value for s in OPEN_STATUSES]))
    return list((await session.scalars(stmt.order_by(Incident.id))).all())


async def timeline(session: AsyncSession, incident_id: int) -> list[TimelineEntry]:
    stmt = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id)
        .order_by(TimelineEntry.id)
    )
    return list((await session.scalars(stmt)).all())


async def action_items(session: AsyncSession, incident_id: int) -> list[ActionItem]:
    stmt = select(ActionItem).where(ActionItem.incident_id == incident_id).order_by(ActionItem.id)
    return list((await session.scalars(stmt)).all())


async def started_between(session: AsyncSession, start: datetime, end: datetime) -> list[Incident]:
    stmt = select(Incident).where(Incident.started_at >= start, Incident.started_at < end)
    return list((await session.scalars(stmt.order_by(Incident.id))).all())
