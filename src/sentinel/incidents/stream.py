"""Server-sent events for the war room: one stream per incident and one for all.

A stream opens with a comment (`: connected`) once its subscription is live, replays
timeline entries after `Last-Event-ID` when a client reconnects, then pushes every new
timeline entry as `event: timeline` with the entry id as the SSE id.

Entries are sent in id order and only up to the table's commit-order high water
(`storage/commit_order.py`): on PostgreSQL an entry can commit after one with a higher
id, and a client whose Last-Event-ID had passed it would never get it on reconnect. So a
live event (NOTIFY, or the in-process hub on SQLite) is only a wake-up: the stream then
reads the table after the last id it sent, up to the high water, and an entry above a
transaction still writing the table waits for it (polled while it lasts). Whenever nothing
has been written for `SENTINEL_INCIDENT_SSE_HEARTBEAT_SECONDS` (10 s, at most 15), a
comment line (`: keep-alive`) is written, so proxies and load balancers with an idle
timeout do not cut the stream. Authentication is the usual Authorization header: the
web UI reads the stream with `fetch` (EventSource cannot send headers), from its own
origin, so no token in the query string and no CORS are needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.incidents.events import hub_for
from sentinel.incidents.models import Incident, TimelineEntry
from sentinel.storage.commit_order import Followed, visible_high_water
from sentinel.storage.engine import Database

REPLAY_LIMIT = 1000
# While entries above the high water wait for a transaction still writing the table, the
# stream reads again after POLL_FIRST, doubling up to POLL_MAX (no notification comes
# when that transaction rolls back).
POLL_FIRST = 0.02
POLL_MAX = 1.0


def _frame(item: dict[str, Any]) -> str:
    data = json.dumps(item, default=str, separators=(",", ":"))
    # An event without an id (e.g. `deleted`) writes no id line: an empty one would reset
    # the client's Last-Event-ID and lose the replay on its next reconnect.
    event_id = f"id: {item['id']}\n" if item.get("id") is not None else ""
    return f"event: {item.get('type', 'timeline')}\n{event_id}data: {data}\n\n"


@dataclass
class _Read:
    items: list[dict[str, Any]]
    reached: int  # every entry with an id up to this one has been read (or never commits)
    behind: bool  # entries above `reached` are committed or may be: read again soon


async def _marks(session: AsyncSession) -> tuple[int, int]:
    """The high water of incident_timeline and its newest committed id. wait_seconds=0: a
    slow writer must not hold a pooled connection per stream; the stream polls instead."""
    high = await visible_high_water(session, Followed.INCIDENT_TIMELINE, wait_seconds=0)
    newest = int(await session.scalar(select(func.max(TimelineEntry.id))) or 0)
    return high, newest


async def _position(db: Database) -> tuple[int, bool]:
    """Where a stream starts without Last-Event-ID, and whether entries wait above it."""
    async with db.transaction() as session:
        high, newest = await _marks(session)
    return high, newest > high


async def _read(db: Database, incident_id: int | None, after_id: int) -> _Read:
    """Entries after `after_id` up to the high water, in id order (at most REPLAY_LIMIT)."""
    async with db.transaction() as session:
        high, newest = await _marks(session)
        if high <= after_id:
            return _Read([], after_id, newest > after_id)
        stmt = (
            select(TimelineEntry, Incident.status)
            .join(Incident, Incident.id == TimelineEntry.incident_id)
            .where(TimelineEntry.id > after_id, TimelineEntry.id <= high)
        )
        if incident_id is not None:
            stmt = stmt.where(TimelineEntry.incident_id == incident_id)
        rows = (await session.execute(stmt.order_by(TimelineEntry.id).limit(REPLAY_LIMIT))).all()
    items = [
        {
            "type": "timeline",
            "incident_id": e.incident_id,
            "id": e.id,
            "at": e.at.isoformat(),
            "kind": e.kind,
            "author": e.author,
            "message": e.message,
            "status": status,
        }
        for e, status in rows
    ]
    if len(rows) == REPLAY_LIMIT:
        return _Read(items, rows[-1][0].id, True)
    return _Read(items, high, newest > high)


async def _replay(db: Database, incident_id: int | None, after_id: int) -> list[dict[str, Any]]:
    """What a client reconnecting with Last-Event-ID `after_id` is sent first."""
    return (await _read(db, incident_id, after_id)).items


def _last_event_id(request: Request) -> int | None:
    raw = request.headers.get("last-event-id")
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw)


def event_stream(
    request: Request, db: Database, incident_id: int | None, heartbeat_seconds: float
) -> StreamingResponse:
    """The SSE response; the subscription is made before the first byte is sent. No
    more than `heartbeat_seconds` pass without a byte written."""
    hub = hub_for(db.engine)
    subscription = hub.subscribe(incident_id)
    last_id = _last_event_id(request)

    async def frames() -> AsyncIterator[str]:
        try:
            yield "retry: 3000\n: connected\n\n"
            if last_id is None:
                # Only what is new from here on: start at the high water, and send the
                # entries above it (those committing now or later) as they become final.
                seen, behind = await _position(db)
            else:
                replay = await _read(db, incident_id, last_id)  # what _replay sends
                for item in replay.items:
                    yield _frame(item)
                seen, behind = replay.reached, replay.behind
                if len(replay.items) == REPLAY_LIMIT:
                    # A replay is bounded: past REPLAY_LIMIT entries the client re-reads
                    # the timeline; the stream goes on from what is final now.
                    high, behind = await _position(db)
                    seen = max(seen, high)
            wrote = time.monotonic()
            poll = POLL_FIRST
            while True:
                # The deadline counts from the last write, so wake-ups that send nothing
                # cannot stretch the silence past the heartbeat.
                left = heartbeat_seconds - (time.monotonic() - wrote)
                wait = min(left, poll) if behind else left
                batch: list[dict[str, Any]] = []
                with contextlib.suppress(TimeoutError):
                    batch.append(
                        await asyncio.wait_for(subscription.queue.get(), timeout=max(wait, 0))
                    )
                while not subscription.queue.empty():
                    batch.append(subscription.queue.get_nowait())
                woken = any(isinstance(i.get("id"), int) and i["id"] > seen for i in batch)
                if woken or behind:
                    read = await _read(db, incident_id, seen)
                    for item in read.items:
                        yield _frame(item)
                        wrote = time.monotonic()
                    seen, behind = read.reached, read.behind
                    if read.items or not behind:
                        poll = 0 if len(read.items) == REPLAY_LIMIT else POLL_FIRST
                    else:
                        poll = min(max(poll, POLL_FIRST) * 2, POLL_MAX)
                for item in batch:
                    if item.get("id") is None:  # e.g. `deleted`: not in the table
                        yield _frame(item)
                        wrote = time.monotonic()
                if time.monotonic() - wrote >= heartbeat_seconds:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    wrote = time.monotonic()
        finally:
            hub.unsubscribe(subscription)

    return StreamingResponse(
        frames(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
