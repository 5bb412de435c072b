"""Action items of an incident: added and tracked, each change on the timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.api.errors import BadRequest, NotFound
from sentinel.incidents import schemas
from sentinel.incidents.models import ActionItem, Incident
from sentinel.incidents.timeline import add_entry


async def add_action_item(
    session: AsyncSession,
    incident: Incident,
    body: schemas.ActionItemIn,
    author: str,
    now: datetime,
) -> ActionItem:
    item = ActionItem(
        incident_id=incident.id,
        title=body.title,
        owner=body.owner,
        due_at=body.due_at,
        created_by=author,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    await session.flush()
    await add_entry(
        session, incident, "action_item", author, f"Action item: {body.title}", now, item=item.id
    )
    return item


async def update_action_item(
    session: AsyncSession,
    incident: Incident,
    item_id: int,
    body: schemas.ActionItemUpdate,
    author: str,
    now: datetime,
) -> ActionItem:
    item = await session.get(ActionItem, item_id)
    if item is None or item.incident_id != incident.id:
        raise NotFound(f"No action item {item_id} on incident {incident.id}.")
    changes = body.model_dump(exclude_unset=True)
    if "title" in changes and changes["title"] is None:
        raise BadRequest("title cannot be empty.")
    if "status" in changes and changes["status"] is None:
        raise BadRequest("status cannot be empty.")
    for key, value in changes.items():
        setattr(item, key, value)
    item.updated_at = now
    if "status" in changes:
        await add_entry(
            session,
            incident,
            "action_item",
            author,
            f"Action item {item.id} is {item.status}: {item.title}",
            now,
            item=item.id,
            status=item.status,
        )
    return item
