"""Live incident events for the war room (server-sent events).

Every timeline entry is published once its transaction commits:
- PostgreSQL: `pg_notify` inside the transaction (delivered only on commit) and one
  LISTEN connection per process fans the events out, so every replica's subscribers see
  every replica's changes;
- SQLite (one process): an after-commit hook publishes to the in-process hub directly.
Subscribers get bounded queues; a subscriber that falls too far behind loses the oldest
events (and the client can re-read the timeline) rather than growing memory.

Once a hub follows the timeline (`IncidentHub.follow`, done by the SSE streams), a
timeline event is only a wake-up: PostgreSQL hands entry ids out before commit, so an
entry can commit after one with a higher id, and a stream that sent the higher id first
would never replay the lower one to a client reconnecting with its Last-Event-ID. One
feed per incident (and one for "all incidents") per process then reads the timeline
after the last id it has handed out, up to the commit-order high water
(`storage/commit_order.py`), and hands the entries in id order to every subscriber of
that incident: one database read per wake-up and incident, however many streams are
open. Entries above a transaction still writing the timeline wait for it (the feed polls
while they do). Events without an id (`deleted`) go to the subscribers directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable
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
# While entries wait above a transaction still writing the timeline, a feed reads again
# after POLL_FIRST, doubling up to POLL_MAX: no event comes when that transaction ends
# (it may have written another incident, or rolled back).
POLL_FIRST = 0.02
POLL_MAX = 1.0
# Live payloads kept per feed until their entry is read as committed (beyond that the
# entry's event is built from its row).
MAX_NOTIFIED = 10_000
log = logging.getLogger("sentinel.incidents.events")


@dataclass(eq=False)
class Subscription:
    incident_id: int | None
    queue: asyncio.Queue[dict[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE)
    )

    def put(self, item: dict[str, Any]) -> None:
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(item)


@dataclass
class Batch:
    """What one read of the timeline after a position found."""

    items: list[dict[str, Any]]  # the entries after the position up to `reached`, by id
    reached: int  # every entry with an id up to here has been read, or never commits
    behind: bool  # entries above `reached` have committed or may: read again soon


# fetch(incident_id or None for all, after_id) -> the entries after after_id, final ones
Fetch = Callable[[int | None, int], Awaitable[Batch]]


@dataclass(eq=False)
class _Feed:
    """The one reader of an incident's timeline (None: every incident's) in a process."""

    incident_id: int | None
    subscriptions: set[Subscription] = field(default_factory=set)
    floor: int | None = None  # every entry up to here has been handed out (None: not yet)
    starts: list[int] = field(default_factory=list)  # new subscribers' positions
    notified: dict[int, dict[str, Any]] = field(default_factory=dict)  # live payloads by id
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    behind: bool = False  # entries wait above `floor` for a transaction writing the table


class IncidentHub:
    """In-process fan-out of incident events to SSE subscribers."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fetch: Fetch | None = None
        self._feeds: dict[int | None, _Feed] = {}
        self._of: dict[Subscription, _Feed] = {}

    def follow(self, fetch: Fetch) -> None:
        """From now on timeline events are wake-ups: subscribers get entries from the
        feed of their incident, read with `fetch`, in id order and only once final.
        A subscriber then says where its client stands with `start_at`."""
        self._fetch = fetch

    def subscribe(self, incident_id: int | None) -> Subscription:
        self._loop = asyncio.get_running_loop()
        sub = Subscription(incident_id)
        self._subscriptions.add(sub)
        if self._fetch is not None:
            feed = self._feeds.get(incident_id)
            if feed is None:
                feed = self._feeds[incident_id] = _Feed(incident_id)
            feed.subscriptions.add(sub)
            self._of[sub] = feed
        return sub

    def start_at(self, sub: Subscription, position: int) -> None:
        """`sub` (subscribed before `position` was read) needs every entry above it: its
        feed reads from there at the latest (the subscriber skips what it has)."""
        feed = self._of.get(sub)
        if feed is None or self._fetch is None:
            return
        feed.starts.append(position)
        feed.wake.set()
        if feed.task is None:
            feed.task = asyncio.create_task(self._run(feed, self._fetch))

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscriptions.discard(sub)
        feed = self._of.pop(sub, None)
        if feed is not None:
            feed.subscriptions.discard(sub)
            if not feed.subscriptions:
                if self._feeds.get(feed.incident_id) is feed:
                    del self._feeds[feed.incident_id]
                feed.wake.set()  # its task ends

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    def publish(self, item: dict[str, Any]) -> None:
        entry_id = item.get("id")
        if self._fetch is not None and isinstance(entry_id, int):
            for feed in self._feeds.values():
                if feed.incident_id in (None, item.get("incident_id")):
                    if len(feed.notified) < MAX_NOTIFIED:
                        feed.notified[entry_id] = item
                    feed.wake.set()
                elif feed.behind:
                    feed.wake.set()  # the writer it waits for may be the one that committed
            return
        for sub in list(self._subscriptions):
            if sub.incident_id is not None and sub.incident_id != item.get("incident_id"):
                continue
            sub.put(item)

    async def _run(self, feed: _Feed, fetch: Fetch) -> None:
        poll: float | None = None  # while entries wait for a writer: read again after this
        while feed.subscriptions:
            if poll is None:
                await feed.wake.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(feed.wake.wait(), timeout=poll)
            feed.wake.clear()
            if not feed.subscriptions:
                return
            if feed.starts:
                feed.floor = min(feed.starts if feed.floor is None else [feed.floor, *feed.starts])
                feed.starts.clear()
            if feed.floor is None:
                continue
            try:
                batch = await fetch(feed.incident_id, feed.floor)
            except Exception:
                log.warning("incident events: cannot read the timeline; retrying", exc_info=True)
                poll = POLL_MAX
                continue
            self._hand_out(feed, batch.items)
            feed.floor, feed.behind = max(feed.floor, batch.reached), batch.behind
            for entry_id in [i for i in feed.notified if i <= feed.floor]:
                del feed.notified[entry_id]
            if batch.behind and batch.items:
                poll = 0.0  # more may be final already (a read is bounded)
            elif batch.behind:
                poll = min(max(poll or 0, POLL_FIRST) * 2, POLL_MAX)
            else:
                poll = None

    @staticmethod
    def _hand_out(feed: _Feed, items: Iterable[dict[str, Any]]) -> None:
        for row in items:
            item = feed.notified.pop(row["id"], None) or _payload(row)
            for sub in list(feed.subscriptions):
                sub.put(item)


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
