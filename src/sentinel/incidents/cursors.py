"""The incident worker's read positions in other domains' logs (alert events, delivery
attempts, alert links), one `incident_cursor` row each.

A cursor row is locked while a batch runs, so replicas take turns; an idle tick only
reads (the row is inserted once), so SQLite's single writer is not taken every tick.
A batch reads only up to the log's visible high water (storage/commit_order.py): on
PostgreSQL an insert that commits late is read later, never passed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.incidents.models import IncidentCursor
from sentinel.storage.dialect import upsert_insert


async def lock_cursor(session: AsyncSession, name: str) -> IncidentCursor:
    """The cursor row `name`, locked for this transaction (created at 0 the first time)."""
    stmt = select(IncidentCursor).where(IncidentCursor.name == name).with_for_update()
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        insert = upsert_insert(session, IncidentCursor).values(name=name, last_id=0)
        await session.execute(insert.on_conflict_do_nothing())
        row = (await session.execute(stmt)).scalar_one()
    return row
