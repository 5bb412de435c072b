"""Live incident events for the war room (server-sent events).

Every timeline entry is published once its transaction commits:
- PostgreSQL: `pg_notify` inside the transaction (delivered only on commit) and one
  LISTEN connection per process fans the events out, so every replica's subscribers see
  every replica's changes;
- SQLite (one process): an after-commit hook publishes to the in-process hub directly.
Subscribers get bounded queues; a subscriber that falls too far behind loses the oldest
events (and the client can re-read the timeline) rather than growing memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from sentinel.storage.dialect import dialect_name

CHANNEL = "sentinel_incidents"
QUEUE_SIZE = 1000
MAX_MESSAGE = 2000  # NOTIFY payloads are limited to 8000 bytes
log = logging.getLogger("sentinel.incidents.events")


@dataclass(eq=False)
class Subscription:
    incident_id: int | None
    queue: asyncio.Queue[dict[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE)
    )


class IncidentHub:
    """In-process fan-out of incident events to SSE subscribers."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def subscribe(self, incident_id: int | None) -> Subscription:
        self._loop = asyncio.get_running_loop()
        sub = Subscription(incident_id)
        self._subscriptions.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscriptions.discard(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    def publish(self, item: dict[str, Any]) -> None:
        for sub in list(self._subscriptions):
            if sub.incident_id is not None and sub.incident_id != item.get("incident_id"):
                continue
            if sub.queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    sub.queue.get_nowait()
            sub.queue.put_nowait(item)


_hubs: weakref.WeakKeyDictionary[Any, IncidentHub] = weakref.WeakKeyDictionary()


def hub_for(engine: AsyncEngine | Any) -> IncidentHub:
    """The hub of one database engine (one per process and database)."""
    key = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    hub = _hubs.get(key)
    if hub is None:
        hub = _hubs[key] = IncidentHub()
    return hub


def _after_commit(session: Session) -> None:
    pending = session.info.pop("incident_events", [])
    bind = session.info.pop("incident_bind", None)
    if pending and bind is not None:
        hub = hub_for(bind)
        for item in pending:
            hub.publish(item)


def _after_rollback(session: Session) -> None:
    session.info.pop("incident_events", None)


def _payload(item: dict[str, Any]) -> dict[str, Any]:
    message = item.get("message")
    if isinstance(message, str) and len(message) > MAX_MESSAGE:
        item = {**item, "message": message[:MAX_MESSAGE] + "…", "truncated": True}
    return item


async def queue_event(session: AsyncSession, item: dict[str, Any]) -> None:
    """Publish `item` to every subscriber once (and only if) the transaction commits."""
    item = _payload(item)
    if dialect_name(session) == "postgresql":
        data = json.dumps(item, default=str)
        await session.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": data})
        return
    sync = session.sync_session
    if not sync.info.get("incident_hooked"):
        event.listen(sync, "after_commit", _after_commit)
        event.listen(sync, "after_soft_rollback", lambda s, _t: _after_rollback(s))
        sync.info["incident_hooked"] = True
    sync.info["incident_bind"] = session.get_bind()
    sync.info.setdefault("incident_events", []).append(item)


async def listen(engine: AsyncEngine) -> Callable[[], Awaitable[None]]:
    """On PostgreSQL, LISTEN for incident events and feed this process's hub; returns a
    stop function. Reconnects when the connection drops. A no-op on SQLite."""
    if engine.dialect.name != "postgresql":

        async def nothing() -> None:
            return None

        return nothing
    import asyncpg  # the driver of the PostgreSQL URL; imported only when used

    hub = hub_for(engine)
    url = make_url(engine.url).set(drivername="postgresql")
    dsn = url.render_as_string(hide_password=False)
    stop = asyncio.Event()
    ready = asyncio.Event()

    def on_notify(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            hub.publish(json.loads(payload))
        except ValueError:
            log.warning("ignored a malformed incident event")

    async def run() -> None:
        while not stop.is_set():
            try:
                conn = await asyncpg.connect(dsn)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("incident events: cannot LISTEN (%s); retrying", exc)
                ready.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=2)
                continue
            try:
                await conn.add_listener(CHANNEL, on_notify)
                ready.set()
                while not stop.is_set() and not conn.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=5)
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()

    task = asyncio.create_task(run())
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ready.wait(), timeout=10)

    async def stop_listening() -> None:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, timeout=5)

    return stop_listening
