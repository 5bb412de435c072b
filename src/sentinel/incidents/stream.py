"""Server-sent events for the war room: one stream per incident and one for all.

A stream opens with a comment (`: connected`) once its subscription is live, replays
timeline entries after `Last-Event-ID` when a client reconnects, then pushes every new
timeline entry as `event: timeline` with the entry id as the SSE id. Whenever nothing
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

from sentinel.incidents.events import hub_for
from sentinel.incidents.models import Incident, TimelineEntry
from sentinel.storage.engine import Database

REPLAY_LIMIT = 1000


def _frame(item: dict[str, Any]) -> str:
    data = json.dumps(item, default=str, separators=(",", ":"))
    # An event without an id (e.g. `deleted`) writes no id line: an empty one would reset
    # the client's Last-Event-ID and lose the replay on its next reconnect.
    event_id = f"id: {item['id']}\n" if item.get("id") is not None else ""
    return f"event: {item.get('type', 'timeline')}\n{event_id}data: {data}\n\n"


async def _replay(db: Database, incident_id: int | None, after_id: int) -> list[dict[str, Any]]:
    async with db.transaction() as session:
        stmt = (
            select(TimelineEntry, Incident.status)
            .join(Incident, Incident.id == TimelineEntry.incident_id)
            .where(TimelineEntry.id > after_id)
        )
        if incident_id is not None:
            stmt = stmt.where(TimelineEntry.incident_id == incident_id)
        rows = (await session.execute(stmt.order_by(TimelineEntry.id).limit(REPLAY_LIMIT))).all()
    return [
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
            seen = 0
            if last_id is not None:
                for item in await _replay(db, incident_id, last_id):
                    seen = max(seen, int(item["id"]))
                    yield _frame(item)
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
                if isinstance(item.get("id"), int) and item["id"] <= seen:
                    continue  # already replayed
                yield _frame(item)
                wrote = time.monotonic()
        finally:
            hub.unsubscribe(subscription)

    return StreamingResponse(
        frames(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
