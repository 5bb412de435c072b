"""The on-call reader of the alert event log.

`consume_events` reads alert_events after this consumer's cursor (locked row, so replicas
take turns): a group's `notify` event starts its escalation with the policy's chain frozen
onto it (and tells the route's channels); `acknowledged`/`resolved` stop it in every group
the alert is in, and a group that has resolved sends its one "resolved" notice to
everybody who heard about it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting.models import AlertEvent
from sentinel.notify.config import NotifySettings
from sentinel.oncall import notices, service
from sentinel.oncall.engine import start, stop_if_done
from sentinel.oncall.escalation import Policy
from sentinel.oncall.models import Escalation, EventCursor
from sentinel.storage.commit_order import Followed, visible_high_water
from sentinel.storage.dialect import dialect_name, upsert_insert

CURSOR = "oncall.escalation"
EVENT_KINDS = ("notify", "acknowledged", "resolved")


async def _locked_cursor(session: AsyncSession, name: str) -> EventCursor:
    stmt = select(EventCursor).where(EventCursor.name == name)
    if dialect_name(session) == "postgresql":
        stmt = stmt.with_for_update()  # replicas take turns; nobody reads an event twice
    cursor = (await session.scalars(stmt)).one_or_none()
    if cursor is None:  # first run only: idle ticks must not write (SQLite has one writer)
        insert = upsert_insert(session, EventCursor).values(name=name, last_event_id=0)
        await session.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
        cursor = (await session.scalars(stmt)).one()
    return cursor


async def consume_events(
    session: AsyncSession,
    now: datetime,
    batch: int = 1000,
    settings: NotifySettings | None = None,
    secret: str | None = None,
) -> int:
    """Start and stop escalations from the alert event log; returns events read. With a
    secret (to sign the message's links), a route's `channels` ("slack:#ops",
    "email:ops@example.com") are also notified once per `notify` event of an open group,
    and a resolved group's pages and channels get their resolved notice."""
    cursor = await _locked_cursor(session, CURSOR)
    # Only up to the id below which every insert has committed or rolled back: on
    # PostgreSQL a slow transaction commits its id after higher ones are visible.
    through = await visible_high_water(session, Followed.ALERT_EVENTS)
    events: list[AlertEvent] = []
    if through > cursor.last_event_id:
        stmt = select(AlertEvent).where(
            AlertEvent.id > cursor.last_event_id, AlertEvent.id <= through
        )
        events = list((await session.scalars(stmt.order_by(AlertEvent.id).limit(batch))).all())
    if not events:
        return 0
    notify = settings or NotifySettings()
    policies: dict[int, Policy] | None = None
    notified = {e.group_id for e in events if e.kind == "notify" and e.group_id is not None}
    known: dict[int, Escalation | None] = dict.fromkeys(notified)
    if notified:
        for row in await session.scalars(
            select(Escalation).where(Escalation.group_id.in_(notified))
        ):
            known[row.group_id] = row
    resolved_seen: set[int] = set()  # live state is read: once per group and batch is enough
    for event in events:
        if event.group_id is None or event.kind not in EVENT_KINDS:
            continue
        if event.kind == "notify":
            if policies is None and event.detail.get("escalation_policy_id"):
                policies = await service.all_policies(session)
            started = await start(session, event.group_id, event.detail, now, policies, known)
            if started is not None:
                known[event.group_id] = started
            if secret is not None and event.detail.get("channels"):
                await notices.notify_channels(session, event, now, notify, secret)
            resolved_seen.discard(event.group_id)
            continue
        who = event.actor or "system"
        for group_id in alert_groups(event):
            if event.kind == "acknowledged":
                await stop_if_done(session, group_id, now, who)
            elif group_id not in resolved_seen:
                resolved_seen.add(group_id)
                await stop_if_done(session, group_id, now, who)
                if secret is not None:
                    await notices.notify_resolved(session, group_id, now, notify, secret, who)
    cursor.last_event_id, cursor.updated_at = events[-1].id, now
    return len(events)


def alert_groups(event: AlertEvent) -> list[int]:
    """Every group an alert event concerns: all the groups the alert was in (its primary
    group and those of `continue` routes), or the event's group for older events."""
    groups = event.detail.get("groups") if isinstance(event.detail, dict) else None
    if isinstance(groups, list) and groups:
        return [int(g) for g in groups]
    return [event.group_id] if event.group_id is not None else []
