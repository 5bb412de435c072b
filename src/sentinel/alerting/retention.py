"""Retention of the alert history: lifecycle events and resolved occurrences older than
SENTINEL_ALERT_EVENT_RETENTION_DAYS are deleted in batches, one short transaction each.

What is never deleted:
- anything of an open alert (firing, acknowledged, silenced): its events and occurrences
  stay whatever their age, and a group's `notify` events stay while the group is open;
- an event that a consumer of the event log has not read yet. alert_events is a log the
  on-call and incident workers follow with cursors; nothing past the slowest cursor goes,
  so a worker that was down for a while still sees every event when it comes back. A new
  consumer of alert_events must add its read position to CONSUMERS;
- the newest event. SQLite (without AUTOINCREMENT) gives a new row the highest id in the
  table plus one, so deleting the newest rows would hand their ids out again, below the
  cursors that already read them, and those events would never be consumed.

Events are found without an index on their time: ids follow time (each event is stamped
as it is inserted), so the last old id is found by bisecting the primary key, and only
ids below it are scanned; the time is checked again on every row.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, delete, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting.models import Alert, AlertEvent, AlertGroup, AlertOccurrence
from sentinel.alerting.severity import OPEN_STATUSES
from sentinel.incidents import event_position as incidents_position
from sentinel.oncall import event_position as oncall_position
from sentinel.storage.engine import Database

log = logging.getLogger("sentinel.alerting.retention")

ReadPosition = Callable[[AsyncSession], Awaitable[int]]
CONSUMERS: dict[str, ReadPosition] = {
    "oncall": oncall_position.alert_events_read_through,
    "incidents": incidents_position.alert_events_read_through,
}


@dataclass(frozen=True)
class Purged:
    events: int
    occurrences: int
    read_through: int  # the slowest consumer's position: no event above it was deleted


async def read_through(session: AsyncSession) -> int:
    """The id up to which every consumer has read the event log."""
    positions = [await position(session) for position in CONSUMERS.values()]
    return min(positions, default=0)


async def deletable_through(session: AsyncSession) -> int:
    """The highest event id retention may delete: read by every consumer, and below the
    newest event (which keeps the table's highest id in place, so ids are never reused)."""
    newest = await session.scalar(select(func.max(AlertEvent.id)))
    return min(await read_through(session), int(newest or 0) - 1)


async def _first_at_or_after(session: AsyncSession, event_id: int) -> tuple[int, datetime] | None:
    row = (
        await session.execute(
            select(AlertEvent.id, AlertEvent.at)
            .where(AlertEvent.id >= event_id)
            .order_by(AlertEvent.id)
            .limit(1)
        )
    ).first()
    return None if row is None else (int(row[0]), row[1])


async def old_id_bound(session: AsyncSession, cutoff: datetime, ceiling: int) -> int:
    """The last event id (at most `ceiling`) whose event is older than `cutoff`, by
    bisection over the primary key; 0 when the oldest event is not old."""
    first = await _first_at_or_after(session, 0)
    if first is None or first[0] > ceiling or first[1] >= cutoff:
        return 0
    low, high = first[0], ceiling  # the event at `low` is old
    while low < high:
        middle = (low + high + 1) // 2
        probe = await _first_at_or_after(session, middle)
        if probe is not None and probe[0] <= high and probe[1] < cutoff:
            low = probe[0]
        else:
            high = middle - 1
    return low


def _open_alerts() -> Select[int]:
    return select(Alert.id).where(Alert.status.in_(OPEN_STATUSES))


async def _event_batch(
    session: AsyncSession, after: int, bound: int, cutoff: datetime, size: int
) -> list[int]:
    open_groups = select(AlertGroup.id).where(AlertGroup.status == "open")
    stmt = (
        select(AlertEvent.id)
        .where(
            AlertEvent.id > after,
            AlertEvent.id <= bound,
            AlertEvent.at < cutoff,
            or_(AlertEvent.alert_id.is_(None), AlertEvent.alert_id.not_in(_open_alerts())),
            not_(and_(AlertEvent.alert_id.is_(None), AlertEvent.group_id.in_(open_groups))),
        )
        .order_by(AlertEvent.id)
        .limit(size)
    )
    return [int(i) for i in (await session.scalars(stmt)).all()]


async def _occurrence_batch(session: AsyncSession, cutoff: datetime, size: int) -> list[int]:
    stmt = (
        select(AlertOccurrence.id)
        .where(
            AlertOccurrence.started_at < cutoff,  # indexed; a resolved one started earlier
            AlertOccurrence.resolved_at.is_not(None),
            AlertOccurrence.resolved_at < cutoff,
            AlertOccurrence.alert_id.not_in(_open_alerts()),
        )
        .order_by(AlertOccurrence.started_at, AlertOccurrence.id)
        .limit(size)
    )
    return [int(i) for i in (await session.scalars(stmt)).all()]


async def purge(db: Database, now: datetime, keep: timedelta, batch: int) -> Purged:
    """Delete what is older than `keep`, `batch` rows per transaction."""
    cutoff = now - keep
    async with db.transaction() as session:
        floor = await deletable_through(session)
        bound = await old_id_bound(session, cutoff, floor)
    events = 0
    after = 0
    while bound:
        async with db.transaction() as session:
            ids = await _event_batch(session, after, bound, cutoff, batch)
            if ids:
                await session.execute(delete(AlertEvent).where(AlertEvent.id.in_(ids)))
        events += len(ids)
        if len(ids) < batch:
            break
        after = ids[-1]
    occurrences = 0
    while True:
        async with db.transaction() as session:
            ids = await _occurrence_batch(session, cutoff, batch)
            if ids:
                await session.execute(delete(AlertOccurrence).where(AlertOccurrence.id.in_(ids)))
        occurrences += len(ids)
        if len(ids) < batch:
            break
    if events or occurrences:
        log.info(
            "alert retention: deleted %d events and %d resolved occurrences older than %s "
            "(event log read through id %d)",
            events,
            occurrences,
            cutoff.isoformat(),
            floor,
        )
    return Purged(events, occurrences, floor)
