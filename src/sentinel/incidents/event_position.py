"""How far the incident worker has read the alert event log, for the alerting domain's
retention (which must never delete an event a consumer has not read yet)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.incidents.automation import CURSOR
from sentinel.incidents.models import IncidentCursor


async def alert_events_read_through(session: AsyncSession) -> int:
    """Every alert event with an id up to this has been handled by the incident worker;
    0 until its cursor exists."""
    last = await session.scalar(select(IncidentCursor.last_id).where(IncidentCursor.name == CURSOR))
    return int(last or 0)
