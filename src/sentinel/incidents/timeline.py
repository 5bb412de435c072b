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
from sentinel.storage.dialect import upsert_insert


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
    await _publish(session, incident, entry.id, at, kind, author, message)
    return entry


async def add_fact(
    session: AsyncSession,
    incident: Incident,
    dedup_key: str,
    kind: str,
    author: str,
    message: str,
    at: datetime,
    **detail: Any,
) -> int | None:
    """Append an entry for an outside fact (e.g. `notify:42`) unless this incident has it
    already; returns the new entry's id, or None when it was there."""
    stmt = (
        upsert_insert(session, TimelineEntry)
        .values(
            incident_id=incident.id,
            at=at,
            kind=kind,
            author=author,
            message=message,
            detail=detail,
            dedup_key=dedup_key,
        )
        .on_conflict_do_nothing(index_elements=["incident_id", "dedup_key"])
        .returning(TimelineEntry.id)
    )
    entry_id = (await session.execute(stmt)).scalar_one_or_none()
    if entry_id is not None:
        await _publish(session, incident, entry_id, at, kind, author, message)
    return entry_id


async def _publish(
    session: AsyncSession,
    incident: Incident,
    entry_id: int,
    at: datetime,
    kind: str,
    author: str,
    message: str,
) -> None:
    await events.queue_event(
        session,
        {
            "type": "timeline",
            "incident_id": incident.id,
            "id": entry_id,
            "at": at.isoformat(),
            "kind": kind,
            "author": author,
            "message": message,
            "status": incident.status,
        },
    )


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
