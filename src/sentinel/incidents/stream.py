"""Server-sent events for the war room: one stream per incident and one for all.

A stream opens with a comment (`: connected`) once its subscription is live, replays
timeline entries after `Last-Event-ID` when a client reconnects, then pushes every new
timeline entry as `event: timeline` with the entry id as the SSE id. A comment every
15 seconds keeps proxies from closing an idle stream.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from sentinel.incidents.events import hub_for
from sentinel.incidents.models import Incident, TimelineEntry
from sentinel.storage.engine import Database

HEARTBEAT_SECONDS = 15.0
REPLAY_LIMIT = 1000


def _frame(item: dict[str, Any]) -> str:
    data = json.dumps(item, default=str, separators=(",", ":"))
    return f"event: {item.get('type', 'timeline')}\nid: {item.get('id', '')}\ndata: {data}\n\n"


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


def event_stream(request: Request, db: Database, incident_id: int | None) -> StreamingResponse:
    """The SSE response; the subscription is made before the first byte is sent."""
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
            while True:
                try:
                    item = await asyncio.wait_for(
                        subscription.queue.get(), timeout=HEARTBEAT_SECONDS
                    )
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                if isinstance(item.get("id"), int) and item["id"] <= seen:
                    continue  # already replayed
                yield _frame(item)
        finally:
            hub.unsubscribe(subscription)

    return StreamingResponse(
        frames(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
