"""Server-sent events for the war room: one stream per incident and one for all.

A stream opens with a comment (`: connected`) once its subscription is live, replays
timeline entries after `Last-Event-ID` when a client reconnects, then pushes every new
timeline entry as `event: timeline` with the entry id as the SSE id.

Entries are sent in id order and only up to the timeline's commit-order high water
(`storage/commit_order.py`): on PostgreSQL an entry can commit after one with a higher
id, and a client whose Last-Event-ID had passed it would never get it on reconnect. The
replay reads up to the high water; live entries come from the one feed of the incident
in this process (`events.IncidentHub`), which reads each wake-up once for all the
incident's streams. A stream subscribes before it reads its position, so nothing falls
between the replay and the live entries, and skips what it has already sent. Whenever nothing
has been written for `SENTINEL_INCIDENT_SSE_HEARTBEAT_SECONDS` (10 s, at most 15), a
comment line (`: keep-alive`) is written, so proxies and load balancers with an idle
timeout do not cut the stream. Authentication is the usual Authorization header: the
web UI reads the stream with `fetch` (EventSource cannot send headers), from its own
origin, so no token in the query string and no CORS are needed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from sentinel.incidents.events import Batch, hub_for
from sentinel.incidents.models import Incident, TimelineEntry
from sentinel.storage.commit_order import Followed, visible_high_water
from sentinel.storage.engine import Database

REPLAY_LIMIT = 1000
# How long a read waits for transactions writing the timeline before it settles for a
# lower high water (the feed then polls for the rest).
WAIT_SECONDS = 0.2


def _frame(item: dict[str, Any]) -> str:
    data = json.dumps(item, default=str, separators=(",", ":"))
    # An event without an id (e.g. `deleted`) writes no id line: an empty one would reset
    # the client's Last-Event-ID and lose the replay on its next reconnect.
    event_id = f"id: {item['id']}\n" if item.get("id") is not None else ""
    return f"event: {item.get('type', 'timeline')}\n{event_id}data: {data}\n\n"


async def _read(
    db: Database, incident_id: int | None, after_id: int, wait_seconds: float = WAIT_SECONDS
) -> Batch:
    """The entries after `after_id` up to the high water, in id order (at most
    REPLAY_LIMIT); `behind` when committed entries wait above it, or more are final."""
    async with db.transaction() as session:
        # SQLite has one writer, so ids commit in order: every row a statement sees is
        # final, and so is every id below it (the high water is that snapshot's max(id)),
        # and the read is one statement (each is several trips to aiosqlite's thread).
        high: int | None = None
        if db.dialect == "postgresql":
            high = await visible_high_water(session, Followed.INCIDENT_TIMELINE, wait_seconds)
        stmt = (
            select(
                TimelineEntry.id,
                TimelineEntry.incident_id,
                TimelineEntry.at,
                TimelineEntry.kind,
                TimelineEntry.author,
                TimelineEntry.message,
                Incident.status,
            )
            .join(Incident, Incident.id == TimelineEntry.incident_id)
            .where(TimelineEntry.id > after_id)
        )
        if incident_id is not None:
            stmt = stmt.where(TimelineEntry.incident_id == incident_id)
        rows = (await session.execute(stmt.order_by(TimelineEntry.id).limit(REPLAY_LIMIT))).all()
    items = [
        {
            "type": "timeline",
            "incident_id": row.incident_id,
            "id": row.id,
            "at": row.at.isoformat(),
            "kind": row.kind,
            "author": row.author,
            "message": row.message,
            "status": row.status,
        }
        for row in rows
        if high is None or row.id <= high
    ]
    if len(items) == REPLAY_LIMIT:
        return Batch(items, items[-1]["id"], True)
    if high is None:
        return Batch(items, items[-1]["id"] if items else after_id, False)
    return Batch(items, max(high, after_id), len(items) < len(rows))


async def _replay(db: Database, incident_id: int | None, after_id: int) -> list[dict[str, Any]]:
    """What a client reconnecting with Last-Event-ID `after_id` is sent first."""
    return (await _read(db, incident_id, after_id, wait_seconds=1.0)).items


async def _position(db: Database) -> int:
    """Where a stream without Last-Event-ID starts: every entry above it is new to it."""
    async with db.transaction() as session:
        return await visible_high_water(session, Followed.INCIDENT_TIMELINE, wait_seconds=1.0)


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
    hub.follow(lambda feed_incident, after_id: _read(db, feed_incident, after_id))
    subscription = hub.subscribe(incident_id)
    last_id = _last_event_id(request)

    async def frames() -> AsyncIterator[str]:
        try:
            if last_id is None:
                # Read before `: connected`: what commits after the client saw it is new.
                seen = await _position(db)
                hub.start_at(subscription, seen)
                yield "retry: 3000\n: connected\n\n"
            else:
                yield "retry: 3000\n: connected\n\n"
                replay = await _read(db, incident_id, last_id, wait_seconds=1.0)
                for item in replay.items:  # what _replay sends
                    yield _frame(item)
                seen = replay.reached
                if len(replay.items) == REPLAY_LIMIT:
                    # A replay is bounded: past REPLAY_LIMIT entries the client re-reads
                    # the timeline, and the stream goes on from the high water.
                    seen = max(seen, await _position(db))
                hub.start_at(subscription, seen)
            wrote = time.monotonic()
            while True:
                # The deadline counts from the last write, so skipped events (already
                # replayed) cannot stretch the silence past the heartbeat.
                left = heartbeat_seconds - (time.monotonic() - wrote)
                try:
                    item = await asyncio.wait_for(subscription.queue.get(), timeout=max(left, 0))
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    wrote = time.monotonic()
                    continue
                if isinstance(item.get("id"), int):
                    if item["id"] <= seen:
                        continue  # already sent
                    seen = item["id"]
                yield _frame(item)
                wrote = time.monotonic()
        finally:
            hub.unsubscribe(subscription)

    return StreamingResponse(
        frames(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
