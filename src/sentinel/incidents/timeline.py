"""The incident timeline: one ordered list of everything that happened, with its author.

Every write goes through `add_entry`, which also queues the entry's live event (published
when, and only if, the transaction commits).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.incidents import events, schemas
from sentinel.incidents.models import Incident, TimelineEntry


async def add_entry(
    session: AsyncSession,
    incident: Incident,
    kind: str,
    author: str,
    message: str,
    at: datetime,
    **detail: Any,
) -> TimelineEntry:
    """Append one timeline entry and queue its live event."""
    entry = TimelineEntry(
        incident_id=incident.id, at=at, kind=kind, author=author, message=message, detail=detail
    )
    session.add(entry)
    await session.flush()
    await events.queue_event(
        session,
        {
            "type": "timeline",
            "incident_id": incident.id,
            "id": entry.id,
            "at": at.isoformat(),
            "kind": kind,
            "author": author,
            "message": message,
            "status": incident.status,
        },
    )
    return entry


def entry_out(e: TimelineEntry) -> schemas.TimelineEntryOut:
    return schemas.TimelineEntryOut(
        id=e.id,
        incident_id=e.incident_id,
        at=e.at,
        kind=e.kind,
        author=e.author,
        message=e.message,
        detail=e.detail,
    )
