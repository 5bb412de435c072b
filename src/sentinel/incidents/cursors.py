"""The incident worker's read positions in other domains' logs (alert events, delivery
attempts, alert links), one `incident_cursor` row each.

A cursor row is locked while a batch runs, so replicas take turns; an idle tick only
reads (the row is inserted once), so SQLite's single writer is not taken every tick.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.incidents.models import IncidentCursor
from sentinel.storage.dialect import dialect_name, upsert_insert

T = TypeVar("T")


async def lock_cursor(session: AsyncSession, name: str) -> IncidentCursor:
    """The cursor row `name`, locked for this transaction (created at 0 the first time)."""
    stmt = select(IncidentCursor).where(IncidentCursor.name == name).with_for_update()
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        insert = upsert_insert(session, IncidentCursor).values(name=name, last_id=0)
        await session.execute(insert.on_conflict_do_nothing())
        row = (await session.execute(stmt)).scalar_one()
    return row


def settled(
    session: AsyncSession,
    rows: Sequence[T],
    after: int,
    now: datetime,
    settle_seconds: float,
    id_of: Callable[[T], int],
    at_of: Callable[[T], datetime],
) -> list[T]:
    """The rows (in id order) that are safe to pass. PostgreSQL hands out ids before
    commit: stop at a gap until it is old enough to be a rollback rather than a
    transaction still in flight. SQLite has one writer: ids commit in order."""
    if dialect_name(session) != "postgresql":
        return list(rows)
    out: list[T] = []
    expected = after + 1
    for row in rows:
        if id_of(row) != expected and now - at_of(row) < timedelta(seconds=settle_seconds):
            break
        out.append(row)
        expected = id_of(row) + 1
    return out
