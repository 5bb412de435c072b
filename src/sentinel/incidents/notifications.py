"""Every delivery attempt of an incident's alert notifications on its timeline: who was
paged, on which channel, delivered or failed, and how long it took.

The worker follows two logs with cursors of its own: notify's delivery attempts (read
through `notify.history`, never its tables) and the incidents' alert links.
- A new attempt goes on the timeline of each incident holding an alert of its alert
  group that is open, or was resolved less than 15 minutes before the attempt (its
  resolved notice); an alert group outlives incidents, so older ones are left alone.
- A group newly linked to an incident brings the group's attempts since the linked
  alert fired: the page usually goes out before the incident opens.
An attempt is written once per incident (dedup key `notify:<attempt id>`), so the two
paths may overlap safely; whichever transaction sees the link and the attempt together
writes the entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting.models import Alert
from sentinel.auth import service as auth_service
from sentinel.incidents import timeline
from sentinel.incidents.config import IncidentSettings
from sentinel.incidents.cursors import lock_cursor
from sentinel.incidents.lifecycle import IncidentStatus, is_open
from sentinel.incidents.models import Incident, IncidentAlert
from sentinel.notify import history
from sentinel.notify.history import DeliveryAttempt
from sentinel.storage.commit_order import Followed, visible_high_water

ATTEMPTS_CURSOR = "notify_attempts"
LINKS_CURSOR = "incident_alert_links"
AUTHOR = "sentinel (notify)"
LATE = timedelta(seconds=60)  # an attempt older than this at writing says when it was
RESOLVED_GRACE = timedelta(minutes=15)
EARLIEST = timedelta(hours=1)  # pages this long before an incident started are not its


def describe(attempt: DeliveryAttempt, who: str | None, now: datetime) -> str:
    """One line a responder reads: who, how, and what came of it."""
    target = f"{who} via {attempt.channel}" if who else f"{attempt.channel} channel"
    where = f"{target} ({attempt.address})"
    if attempt.ok:
        text = f"Paged {where}: delivered in {attempt.latency_ms:.0f} ms"
    else:
        reason = attempt.error or (
            f"HTTP {attempt.status_code}" if attempt.status_code else "no answer"
        )
        retry = ", will retry" if attempt.message_status == "pending" else ""
        text = (
            f"Paging {where} failed: {reason} "
            f"(attempt {attempt.attempt} of {attempt.max_attempts}{retry})"
        )
    if now - attempt.at > LATE:
        text += f" at {attempt.at.strftime('%H:%M:%S')} UTC"
    return text


async def _write(
    session: AsyncSession,
    pairs: Iterable[tuple[Incident, DeliveryAttempt]],
    now: datetime,
) -> int:
    pairs = sorted(pairs, key=lambda p: (p[1].id, p[0].id))
    users = {a.user_id for _, a in pairs if a.user_id is not None}
    names = await auth_service.user_names(session, users)
    written = 0
    for incident, a in pairs:
        who = names.get(a.user_id) if a.user_id is not None else None
        entry = await timeline.add_fact(
            session,
            incident,
            f"notify:{a.id}",
            "notification",
            AUTHOR,
            describe(a, who, now),
            now,
            attempt_id=a.id,
            group_id=a.group_id,
            user_id=a.user_id,
            user=who,
            channel=a.channel,
            address=a.address,
            delivered=a.ok,
            status_code=a.status_code,
            error=a.error,
            latency_ms=a.latency_ms,
            attempt=a.attempt,
            max_attempts=a.max_attempts,
            step_index=a.step_index,
            attempted_at=a.at.isoformat(),
        )
        written += entry is not None
    return written


async def _incidents_by_group(
    session: AsyncSession, group_ids: set[int]
) -> dict[int, list[Incident]]:
    """The incidents (not closed) holding an alert of each group."""
    if not group_ids:
        return {}
    stmt = (
        select(IncidentAlert.group_id, Incident)
        .join(Incident, Incident.id == IncidentAlert.incident_id)
        .where(
            IncidentAlert.group_id.in_(group_ids),
            Incident.status != IncidentStatus.CLOSED.value,
        )
    )
    out: dict[int, list[Incident]] = defaultdict(list)
    for group_id, incident in (await session.execute(stmt)).all():
        if group_id is not None and incident not in out[group_id]:
            out[group_id].append(incident)
    return out


def _belongs(incident: Incident, attempt: DeliveryAttempt) -> bool:
    """An alert group outlives incidents (it reopens when its alerts fire again): a page
    belongs to an incident from a while before it started (its alerts fired first) until
    shortly after it resolved (the resolved notice), or for as long as it is open."""
    if attempt.at < incident.started_at - EARLIEST:
        return False  # an older episode of the group (read late: a backlog, an upgrade)
    if is_open(incident.status):
        return True
    resolved = incident.resolved_at
    return resolved is not None and attempt.at <= resolved + RESOLVED_GRACE


async def _new_links(session: AsyncSession, after: int, limit: int) -> list[IncidentAlert]:
    through = await visible_high_water(session, Followed.INCIDENT_ALERTS)
    if through <= after:
        return []
    stmt = select(IncidentAlert).where(IncidentAlert.id > after, IncidentAlert.id <= through)
    return list((await session.scalars(stmt.order_by(IncidentAlert.id).limit(limit))).all())


async def _new_attempts(session: AsyncSession, after: int, limit: int) -> list[DeliveryAttempt]:
    through = await visible_high_water(session, Followed.NOTIFICATION_ATTEMPTS)
    if through <= after:
        return []
    # In id order: those past the high water come last and are read next time.
    return [a for a in await history.attempts_after(session, after, limit) if a.id <= through]


async def _earlier_pages(
    session: AsyncSession, links: list[IncidentAlert]
) -> list[tuple[Incident, DeliveryAttempt]]:
    """The pages of newly linked groups since their alerts fired: they were usually sent
    before the incident opened, or before the alert joined it."""
    since: dict[tuple[int, int], datetime] = {}
    ids = {link.alert_id for link in links if link.group_id is not None}
    # One query for the batch (an alert storm links thousands of alerts).
    fired_at: dict[int, datetime] = {}
    if ids:
        starts = select(Alert.id, Alert.starts_at).where(Alert.id.in_(ids))
        fired_at = {alert_id: at for alert_id, at in (await session.execute(starts)).all()}
    for link in links:
        if link.group_id is None:
            continue
        # A deleted alert: nothing older than the link is known to be its.
        fired = fired_at.get(link.alert_id, link.linked_at)
        key = (link.group_id, link.incident_id)
        since[key] = min(fired, since.get(key, fired))
    if not since:
        return []
    groups = {g for g, _ in since}
    by_group = await _incidents_by_group(session, groups)
    return [
        (incident, a)
        for a in await history.attempts_for_groups(session, groups)
        for incident in by_group.get(a.group_id or 0, [])
        if (key := (a.group_id or 0, incident.id)) in since
        and a.at >= since[key]
        and _belongs(incident, a)
    ]


async def consume_notifications(
    session: AsyncSession, now: datetime, settings: IncidentSettings
) -> int:
    """Put the next batch of delivery attempts (and the earlier attempts of newly linked
    alert groups) on incident timelines; returns how many log rows were read."""
    links_cursor = await lock_cursor(session, LINKS_CURSOR)
    attempts_cursor = await lock_cursor(session, ATTEMPTS_CURSOR)
    links = await _new_links(session, links_cursor.last_id, settings.batch_events)
    attempts = await _new_attempts(session, attempts_cursor.last_id, settings.batch_events)
    pairs = await _earlier_pages(session, links)
    by_group = await _incidents_by_group(
        session, {a.group_id for a in attempts if a.group_id is not None}
    )
    for a in attempts:
        pairs += [(i, a) for i in by_group.get(a.group_id or 0, []) if _belongs(i, a)]
    await _write(session, pairs, now)
    if links:
        links_cursor.last_id, links_cursor.updated_at = links[-1].id, now
    if attempts:
        attempts_cursor.last_id, attempts_cursor.updated_at = attempts[-1].id, now
    return len(links) + len(attempts)
