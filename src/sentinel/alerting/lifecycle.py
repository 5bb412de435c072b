"""People's actions on alerts (acknowledge, resolve, silence) and the periodic upkeep:
resolve alerts whose endsAt passed, and re-evaluate muting as silences start and end."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import store
from sentinel.alerting.events import lifecycle_event
from sentinel.alerting.intake import close
from sentinel.alerting.models import Alert, AlertEvent, AlertOccurrence, Silence
from sentinel.alerting.pipeline import Known, match_labels
from sentinel.alerting.severity import OPEN_STATUSES, AlertStatus
from sentinel.api.errors import Conflict, NotFound

EVENTS = cast(Table, AlertEvent.__table__)


async def get_alert(session: AsyncSession, alert_id: int) -> Alert:
    alert = await session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"No alert with id {alert_id}.")
    return alert


def known(alert: Alert) -> Known:
    return Known(alert.id, alert.status, alert.count, alert.group_id, alert.muted_by)


async def acknowledge(session: AsyncSession, alert_id: int, who: str, now: datetime) -> Alert:
    """Acknowledge an open alert: escalation stops; repeated acknowledges are no-ops."""
    alert = await get_alert(session, alert_id)
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict(f"Alert {alert_id} is resolved; there is nothing to acknowledge.")
    if alert.acknowledged_at is not None:
        return alert
    alert.acknowledged_at, alert.acknowledged_by, alert.updated_at = now, who, now
    if alert.status == AlertStatus.FIRING:
        alert.status = AlertStatus.ACKNOWLEDGED.value
    await session.execute(
        update(AlertOccurrence)
        .where(AlertOccurrence.alert_id == alert.id, AlertOccurrence.resolved_at.is_(None))
        .values(acknowledged_at=now)
    )
    groups = (await store.memberships(session, [alert.id]))[alert.id]
    session.add(
        AlertEvent(
            alert_id=alert.id,
            group_id=alert.group_id,
            kind="acknowledged",
            at=now,
            actor=who,
            detail={"groups": groups},
        )
    )
    return alert


async def resolve(session: AsyncSession, alert_id: int, who: str, now: datetime) -> Alert:
    """Resolve an open alert by hand; resolving a resolved alert is a no-op."""
    alert = await get_alert(session, alert_id)
    if alert.status == AlertStatus.RESOLVED:
        return alert
    events: list[dict[str, Any]] = []
    await close(session, [(known(alert), now)], now, who, events)
    await session.execute(insert(EVENTS), events)
    await session.refresh(alert)
    return alert


async def silence_alert(
    session: AsyncSession,
    alert_id: int,
    who: str,
    now: datetime,
    duration: timedelta,
    comment: str,
) -> Silence:
    """Silence exactly this alert (its label set) for `duration`."""
    alert = await get_alert(session, alert_id)
    silence = Silence(
        uid=str(uuid.uuid4()),
        matchers=[
            {"name": k, "value": v, "isRegex": False, "isEqual": True}
            for k, v in sorted(alert.labels.items())
        ],
        starts_at=now,
        ends_at=now + duration,
        created_by=who,
        comment=comment or f"silenced alert {alert_id}",
        created_at=now,
        updated_at=now,
    )
    session.add(silence)
    await session.flush()
    await refresh_mutes(session, now)
    await session.refresh(alert)
    return silence


async def refresh_mutes(session: AsyncSession, now: datetime) -> int:
    """Re-evaluate silences, maintenance windows and inhibition for every open alert;
    returns how many alerts changed between muted and unmuted."""
    stage = await store.mute_stage(session, now, fresh=True)
    stmt = select(
        Alert.id,
        Alert.labels,
        Alert.alert_name,
        Alert.service,
        Alert.severity,
        Alert.status,
        Alert.muted_by,
        Alert.acknowledged_at,
        Alert.group_id,
    ).where(Alert.status.in_(OPEN_STATUSES))
    if not stage.muters:  # nothing mutes now, so only muted alerts can change
        stmt = stmt.where(Alert.muted_by.is_not(None))
    rows = (await session.execute(stmt)).all()
    changes: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for id_, labels, name, service, severity, _status, muted_by, acked, group_id in rows:
        reason = stage.mutes(match_labels(labels, name, service, severity), now)
        muted = str(reason) if reason else None
        if muted == muted_by:
            continue
        if muted:
            new_status = AlertStatus.SILENCED.value
            events.append(lifecycle_event(id_, "silenced", now, "system", group_id, muted_by=muted))
        else:
            new_status = (AlertStatus.ACKNOWLEDGED if acked else AlertStatus.FIRING).value
            events.append(lifecycle_event(id_, "unsilenced", now, "system", group_id, was=muted_by))
        changes.append({"id": id_, "status": new_status, "muted_by": muted, "updated_at": now})
    if changes:
        await session.execute(update(Alert), changes)
        await session.execute(insert(EVENTS), events)
    return len(changes)


async def resolve_expired(session: AsyncSession, now: datetime, limit: int = 5000) -> int:
    """Resolve open alerts whose endsAt passed without a re-send (resolve timeout)."""
    alerts = (
        await session.scalars(
            select(Alert)
            .where(
                Alert.status.in_(OPEN_STATUSES), Alert.ends_at.is_not(None), Alert.ends_at <= now
            )
            .limit(limit)
        )
    ).all()
    if not alerts:
        return 0
    events: list[dict[str, Any]] = []
    pairs = [(known(a), a.ends_at or now) for a in alerts]
    await close(session, pairs, now, "resolve-timeout", events)
    await session.execute(insert(EVENTS), events)
    return len(alerts)
