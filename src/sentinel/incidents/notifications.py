"""Every delivery attempt of an incident's alert notifications on its timeline: who was
paged, on which channel, delivered or failed, and how long it took.

The worker follows two logs with cursors of its own: notify's delivery attempts (read
through `notify.history`, never its tables) and the incident's alert links. A new
attempt goes on the timeline of every incident (not closed) that holds an alert of its
alert group; a group newly linked to an incident brings the attempts made before the
link (the page usually goes out before the incident opens). An attempt is written once
per incident (dedup key `notify:<attempt id>`), so the two paths may overlap safely, and
whichever transaction sees the link and the attempt together writes the entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.auth import service as auth_service
from sentinel.incidents import timeline
from sentinel.incidents.config import IncidentSettings
from sentinel.incidents.cursors import lock_cursor, settled
from sentinel.incidents.lifecycle import IncidentStatus
from sentinel.incidents.models import Incident, IncidentAlert
from sentinel.notify import history
from sentinel.notify.history import DeliveryAttempt

ATTEMPTS_CURSOR = "notify_attempts"
LINKS_CURSOR = "incident_alert_links"
AUTHOR = "sentinel (notify)"
LATE = timedelta(seconds=60)  # an attempt older than this at writing says when it was


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


async def _new_links(
    session: AsyncSession, after: int, limit: int, now: datetime, settle: float
) -> list[IncidentAlert]:
    stmt = (
        select(IncidentAlert)
        .where(IncidentAlert.id > after)
        .order_by(IncidentAlert.id)
        .limit(limit)
    )
    rows = list((await session.scalars(stmt)).all())
    return settled(session, rows, after, now, settle, lambda r: r.id, lambda r: r.linked_at)


async def consume_notifications(
    session: AsyncSession, now: datetime, settings: IncidentSettings
) -> int:
    """Put the next batch of delivery attempts (and the earlier attempts of newly linked
    alert groups) on incident timelines; returns how many log rows were read."""
    links_cursor = await lock_cursor(session, LINKS_CURSOR)
    attempts_cursor = await lock_cursor(session, ATTEMPTS_CURSOR)
    settle = settings.gap_settle_seconds
    links = await _new_links(session, links_cursor.last_id, settings.batch_events, now, settle)
    found = await history.attempts_after(session, attempts_cursor.last_id, settings.batch_events)
    attempts = settled(
        session, found, attempts_cursor.last_id, now, settle, lambda a: a.id, lambda a: a.at
    )
    pairs: list[tuple[Incident, DeliveryAttempt]] = []
    # Links first: a group's earlier attempts come before the ones of this batch.
    new_groups: dict[int, set[int]] = defaultdict(set)
    for link in links:
        if link.group_id is not None:
            new_groups[link.group_id].add(link.incident_id)
    if new_groups:
        by_group = await _incidents_by_group(session, set(new_groups))
        for a in await history.attempts_for_groups(session, set(new_groups)):
            assert a.group_id is not None
            pairs += [
                (i, a) for i in by_group.get(a.group_id, []) if i.id in new_groups[a.group_id]
            ]
    grouped = {a.group_id for a in attempts if a.group_id is not None}
    by_group = await _incidents_by_group(session, grouped)
    for a in attempts:
        if a.group_id is not None:
            pairs += [(i, a) for i in by_group.get(a.group_id, [])]
    await _write(session, pairs, now)
    if links:
        links_cursor.last_id, links_cursor.updated_at = links[-1].id, now
    if attempts:
        attempts_cursor.last_id, attempts_cursor.updated_at = attempts[-1].id, now
    return len(links) + len(attempts)
