"""The incident timeline: one ordered list of everything that happened, with its author.

Every write goes through `add_entry`, which also queues the entry's live event (published
when, and only if, the transaction commits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.incidents import events, schemas
from sentinel.incidents.models import Incident, TimelineEntry
from sentinel.storage.dialect import dialect_name, upsert_insert


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


@dataclass(frozen=True)
class NewEntry:
    kind: str
    author: str
    message: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


async def add_entries(session: AsyncSession, incident: Incident, new: Sequence[NewEntry]) -> None:
    """Append several entries in order (an alert storm links hundreds per batch) with one
    INSERT, and queue their live events."""
    if not new:
        return
    rows = [
        {
            "incident_id": incident.id,
            "at": n.at,
            "kind": n.kind,
            "author": n.author,
            "message": n.message,
            "detail": n.detail,
        }
        for n in new
    ]
    if dialect_name(session) == "postgresql":
        stmt = insert(TimelineEntry).returning(TimelineEntry.id, sort_by_parameter_order=True)
        ids = list(await session.scalars(stmt, rows))
    else:
        # SQLite does not promise RETURNING's order, so SQLAlchemy would insert one row
        # per statement to get the ids. One executemany instead; this transaction now
        # holds the single write lock, so the incident's newest ids are these rows'.
        await session.execute(insert(TimelineEntry), rows)
        newest = await session.scalars(
            select(TimelineEntry.id)
            .where(TimelineEntry.incident_id == incident.id)
            .order_by(TimelineEntry.id.desc())
            .limit(len(rows))
        )
        ids = sorted(newest)
    for entry_id, n in zip(ids, new, strict=True):
        await _publish(session, incident, entry_id, n.at, n.kind, n.author, n.message)


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
