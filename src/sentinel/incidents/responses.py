"""API responses of incidents and action items, built from their rows."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.incidents import schemas, store
from sentinel.incidents.lifecycle import ALLOWED, IncidentStatus
from sentinel.incidents.models import ActionItem, Incident


async def incident_out(session: AsyncSession, incident: Incident) -> schemas.IncidentOut:
    return (await incidents_out(session, [incident]))[0]


async def incidents_out(
    session: AsyncSession, incidents: list[Incident]
) -> list[schemas.IncidentOut]:
    ids = [i.id for i in incidents]
    people = await store.participants(session, ids)
    alerts = await store.linked_alerts(session, ids)
    return [
        schemas.IncidentOut(
            id=i.id,
            title=i.title,
            description=i.description,
            status=IncidentStatus(i.status),
            severity=i.severity,
            priority=i.priority,
            affected_services=list(i.affected_services),
            commander=i.commander,
            team_id=i.team_id,
            participants=[
                schemas.ParticipantOut(
                    name=p.name, role=p.role, added_by=p.added_by, added_at=p.added_at
                )
                for p in people.get(i.id, [])
            ],
            source=i.source,
            creation_reason=i.creation_reason,
            chat_url=i.chat_url,
            root_cause=i.root_cause,
            merged_into_id=i.merged_into_id,
            allowed_transitions=list(ALLOWED[IncidentStatus(i.status)]),
            alert_ids=[a.alert_id for a in alerts.get(i.id, [])],
            started_at=i.started_at,
            acknowledged_at=i.acknowledged_at,
            identified_at=i.identified_at,
            resolved_at=i.resolved_at,
            closed_at=i.closed_at,
            created_by=i.created_by,
            created_at=i.created_at,
            updated_at=i.updated_at,
        )
        for i in incidents
    ]


def action_item_out(a: ActionItem) -> schemas.ActionItemOut:
    return schemas.ActionItemOut(
        id=a.id,
        incident_id=a.incident_id,
        title=a.title,
        owner=a.owner,
        status=a.status,
        due_at=a.due_at,
        created_by=a.created_by,
        created_at=a.created_at,
        updated_at=a.updated_at,
    )
