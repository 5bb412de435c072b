"""How far on-call has read the alert event log, for the alerting domain's retention
(which must never delete an event a consumer has not read yet)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.oncall.consumer import CURSOR
from sentinel.oncall.models import EventCursor


async def alert_events_read_through(session: AsyncSession) -> int:
    """Every alert event with an id up to this has been handled by every on-call consumer
    (the slowest of the oncall_event_cursors rows); 0 until the escalation consumer's
    cursor exists."""
    slowest = await session.scalar(select(func.min(EventCursor.last_event_id)))
    started = await session.scalar(select(EventCursor.name).where(EventCursor.name == CURSOR))
    return int(slowest or 0) if started is not None else 0
