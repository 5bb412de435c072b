"""What a page says about an alert group, built from the group and its open alerts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting.models import Alert, AlertGroup, AlertGroupMember
from sentinel.alerting.severity import RANK, Severity
from sentinel.notify.config import NotifySettings
from sentinel.notify.links import sign
from sentinel.notify.message import Page, summarize


async def build_page(
    session: AsyncSession, group_id: int, now: datetime, settings: NotifySettings, secret: str
) -> Page:
    """The message for a group: title, severity, service, summary and action links."""
    pages = await build_pages(session, [group_id], now, settings, secret)
    return pages[group_id]


async def build_pages(
    session: AsyncSession,
    group_ids: list[int],
    now: datetime,
    settings: NotifySettings,
    secret: str,
) -> dict[int, Page]:
    """Pages for many groups with two queries (groups, their open alerts)."""
    wanted = set(group_ids)
    if not wanted:
        return {}
    groups = {
        g.id: g for g in await session.scalars(select(AlertGroup).where(AlertGroup.id.in_(wanted)))
    }
    alerts: dict[int, list[Alert]] = {gid: [] for gid in wanted}
    # Members, not alerts.group_id: a `continue` route's group lists its alerts too.
    for group_id, alert in await session.execute(
        select(AlertGroupMember.group_id, Alert)
        .join(Alert, Alert.id == AlertGroupMember.alert_id)
        .where(AlertGroupMember.group_id.in_(wanted), Alert.status != "resolved")
        .order_by(Alert.id)
    ):
        alerts[group_id].append(alert)
    expires = now + timedelta(minutes=settings.link_ttl_minutes)
    base = settings.public_url.rstrip("/") + "/api/notify/actions/"
    return {gid: _page(gid, groups.get(gid), alerts[gid], base, secret, expires) for gid in wanted}


def _page(
    group_id: int,
    group: AlertGroup | None,
    alerts: list[Alert],
    base: str,
    secret: str,
    expires: datetime,
) -> Page:
    known = {s.value for s in Severity}
    severities = [a.severity for a in alerts if a.severity in known]
    severity = min(severities, key=lambda s: RANK[Severity(s)]) if severities else "info"
    title = (group.title if group and group.title else "") or (
        alerts[0].title or alerts[0].alert_name if alerts else f"Alert group {group_id}"
    )
    return Page(
        group_id=group_id,
        title=title,
        severity=severity,
        service=(group.service if group else "") or (alerts[0].service if alerts else ""),
        summary=summarize([a.alert_name for a in alerts[:50]], len(alerts)),
        alert_count=len(alerts),
        acknowledge_url=base + sign(secret, group_id, "acknowledge", expires),
        resolve_url=base + sign(secret, group_id, "resolve", expires),
        reply_code=str(group_id),
    )
