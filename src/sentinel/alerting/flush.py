"""Group timers, run by the worker: when a group is due (group_wait after it opened, then
every group_interval), decide with grouping.flush_decision whether its receivers get a
notification now, and record that as one `notify` event for the whole group.

This is where grouping turns many alerts into one page: the notification layer sends one
message per `notify` event, listing the group's alerts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting.grouping import FlushDecision, GroupTimers, flush_decision
from sentinel.alerting.models import AlertEvent, AlertGroup
from sentinel.storage.dialect import dialect_name


async def flush_due_groups(session: AsyncSession, now: datetime, limit: int = 1000) -> int:
    """Advance the timers of every due group; returns how many notifications were due."""
    stmt = (
        select(AlertGroup)
        .where(
            AlertGroup.next_flush_at <= now,
            or_(AlertGroup.status == "open", AlertGroup.changed.is_(True)),
        )
        .order_by(AlertGroup.next_flush_at)
        .limit(limit)
    )
    if dialect_name(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # each group flushed by one replica
    notified = 0
    for group in (await session.scalars(stmt)).all():
        timers = GroupTimers(
            timedelta(seconds=group.group_wait_s),
            timedelta(seconds=group.group_interval_s),
            timedelta(seconds=group.repeat_interval_s),
        )
        decision = flush_decision(
            now, group.next_flush_at, group.last_notified_at, group.changed, timers
        )
        if decision in (FlushDecision.NOTIFY, FlushDecision.REPEAT):
            notified += 1
            session.add(
                AlertEvent(
                    alert_id=None,
                    group_id=group.id,
                    kind="notify",
                    at=now,
                    actor="system",
                    detail={
                        "decision": decision.value,
                        "receiver": group.receiver,
                        "team_id": group.team_id,
                        "escalation_policy_id": group.escalation_policy_id,
                        "channels": group.channels,
                        "open_alerts": group.alert_count,
                        "group_status": group.status,
                    },
                )
            )
            group.last_notified_at, group.changed = now, False
        group.last_flush_at = now
        group.next_flush_at = now + timers.group_interval
    return notified
