"""Apply a batch of incoming alerts in one transaction: dedup, occurrences, muting,
routing, grouping and lifecycle events. The hot path of alert ingest.

Per-alert work is kept to building one parameter dict; the database sees a handful of
executemany statements per batch, whatever its size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, func, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import placement, store
from sentinel.alerting.config import AlertingSettings
from sentinel.alerting.events import lifecycle_event
from sentinel.alerting.models import Alert, AlertEvent, AlertGroup, AlertOccurrence
from sentinel.alerting.pipeline import (
    IncomingAlert,
    Known,
    Transition,
    classify,
    expected_end,
)
from sentinel.alerting.severity import AlertStatus

A = cast(Table, Alert.__table__)
O = cast(Table, AlertOccurrence.__table__)  # noqa: E741
G = cast(Table, AlertGroup.__table__)


@dataclass
class IngestResult:
    received: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    ids: dict[str, int] = field(default_factory=dict)  # fingerprint -> alert id
    transitions: dict[str, Transition] = field(default_factory=dict)


def _refresh_params(
    alerts: list[IncomingAlert], known: dict[str, Known], now: datetime, timeout: timedelta
) -> list[dict[str, Any]]:
    return [
        {
            "b_id": known[a.fingerprint].id,
            "b_now": now,
            "b_ends": expected_end(a, now, timeout),
            "b_value": a.current_value,
            "b_annotations": a.annotations,
            "b_severity": a.severity.value,
            "b_title": a.title,
            "b_description": a.description,
        }
        for a in alerts
    ]


def _new_row(a: IncomingAlert, now: datetime, ends: datetime | None) -> dict[str, Any]:
    return {
        "fingerprint": a.fingerprint,
        "labels": a.labels,
        "annotations": a.annotations,
        "alert_name": a.alert_name,
        "service": a.service,
        "alert_type": a.alert_type,
        "title": a.title or a.alert_name,
        "description": a.description,
        "severity": a.severity.value,
        "status": AlertStatus.FIRING.value,
        "source": a.source,
        "generator_url": a.generator_url,
        "starts_at": a.starts_at or now,
        "ends_at": ends,
        "last_seen_at": now,
        "count": 1,
        "occurrences": 1,
        "current_value": a.current_value,
        "threshold_value": a.threshold_value,
        "created_at": now,
        "updated_at": now,
    }


_REFRESH = (
    update(A)
    .where(A.c.id == bindparam("b_id"))
    .values(
        count=A.c.count + 1,
        last_seen_at=bindparam("b_now"),
        updated_at=bindparam("b_now"),
        ends_at=bindparam("b_ends"),
        current_value=func.coalesce(
            bindparam("b_value", type_=A.c.current_value.type), A.c.current_value
        ),
        severity=bindparam("b_severity"),
        # A re-send without a title or description keeps the ones the alert has.
        title=func.coalesce(func.nullif(bindparam("b_title"), ""), A.c.title),
        description=func.coalesce(func.nullif(bindparam("b_description"), ""), A.c.description),
    )
)
_REFRESH_ANNOTATIONS = _REFRESH.values(
    annotations=bindparam("b_annotations", type_=A.c.annotations.type)
)

_REOPEN = (
    update(A)
    .where(A.c.id == bindparam("b_id"))
    .values(
        status=AlertStatus.FIRING.value,
        count=1,
        occurrences=A.c.occurrences + 1,
        starts_at=bindparam("b_starts"),
        ends_at=bindparam("b_ends"),
        resolved_at=None,
        acknowledged_at=None,
        acknowledged_by=None,
        muted_by=None,
        group_id=None,
        last_seen_at=bindparam("b_now"),
        updated_at=bindparam("b_now"),
        current_value=bindparam("b_value", type_=A.c.current_value.type),
        threshold_value=bindparam("b_threshold", type_=A.c.threshold_value.type),
        annotations=bindparam("b_annotations", type_=A.c.annotations.type),
        severity=bindparam("b_severity"),
        title=bindparam("b_title"),
        description=bindparam("b_description"),
    )
)

_RESOLVE = (
    update(A)
    .where(A.c.id == bindparam("b_id"))
    .values(
        status=AlertStatus.RESOLVED.value,
        resolved_at=bindparam("b_at"),
        ends_at=bindparam("b_at"),
        last_seen_at=bindparam("b_now"),
        updated_at=bindparam("b_now"),
    )
)

_CLOSE_OCCURRENCE = (
    update(O)
    .where(and_(O.c.alert_id == bindparam("b_id"), O.c.resolved_at.is_(None)))
    .values(
        resolved_at=bindparam("b_at"), resolved_by=bindparam("b_by"), count=bindparam("b_count")
    )
)

_ACK = (
    update(A)
    .where(A.c.id == bindparam("b_id"))
    .values(
        status=AlertStatus.ACKNOWLEDGED.value,
        acknowledged_at=bindparam("b_now"),
        acknowledged_by=bindparam("b_by"),
        updated_at=bindparam("b_now"),
        last_seen_at=bindparam("b_now"),
    )
)

_ACK_OCCURRENCE = (
    update(O)
    .where(and_(O.c.alert_id == bindparam("b_id"), O.c.resolved_at.is_(None)))
    .values(acknowledged_at=bindparam("b_now"))
)

_LEAVE_GROUP = (
    update(G)
    .where(G.c.id == bindparam("b_group"))
    .values(
        alert_count=case(
            (G.c.alert_count > bindparam("b_n"), G.c.alert_count - bindparam("b_n")), else_=0
        ),
        status=case((G.c.alert_count > bindparam("b_n"), G.c.status), else_="resolved"),
        changed=True,
        updated_at=bindparam("b_now"),
    )
)


async def ingest(
    session: AsyncSession,
    alerts: Sequence[IncomingAlert],
    now: datetime,
    config: AlertingSettings,
    actor: str | None = None,
) -> IngestResult:
    """Apply `alerts` (one batch) and record their lifecycle events."""
    result = IngestResult(received=len(alerts))
    batch: dict[str, IncomingAlert] = {}
    for a in alerts:
        batch[a.fingerprint] = a  # the last copy of a label set in a batch wins
    known = await store.known_alerts(session, list(batch))
    timeout = timedelta(seconds=config.resolve_timeout_seconds)
    plan: dict[Transition, list[IncomingAlert]] = {t: [] for t in Transition}
    for fp, a in batch.items():
        t = classify(a, known.get(fp), now)
        plan[t].append(a)
        result.transitions[fp] = t
        result.counts[t.value] += 1
        if fp in known:
            result.ids[fp] = known[fp].id
    events: list[dict[str, Any]] = []
    who = actor or "sender"

    if plan[Transition.NEW]:
        rows = [_new_row(a, now, expected_end(a, now, timeout)) for a in plan[Transition.NEW]]
        inserted = await session.execute(insert(A).returning(A.c.id, A.c.fingerprint), rows)
        for id_, fp in inserted:
            result.ids[fp] = id_
    if plan[Transition.REOPEN]:
        await session.execute(
            _REOPEN,
            [
                {
                    "b_id": known[a.fingerprint].id,
                    "b_starts": a.starts_at or now,
                    "b_ends": expected_end(a, now, timeout),
                    "b_now": now,
                    "b_value": a.current_value,
                    "b_threshold": a.threshold_value,
                    "b_annotations": a.annotations,
                    "b_severity": a.severity.value,
                    "b_title": a.title or a.alert_name,
                    "b_description": a.description,
                }
                for a in plan[Transition.REOPEN]
            ],
        )
    if plan[Transition.REFRESH]:
        # Senders that send no annotations on a repeat (the brief's API) keep the old ones.
        with_annotations = [a for a in plan[Transition.REFRESH] if a.annotations]
        without = [a for a in plan[Transition.REFRESH] if not a.annotations]
        for stmt, group in ((_REFRESH_ANNOTATIONS, with_annotations), (_REFRESH, without)):
            if group:
                await session.execute(stmt, _refresh_params(group, known, now, timeout))
    if plan[Transition.ACKNOWLEDGE]:
        params: list[dict[str, Any]] = [
            {"b_id": known[a.fingerprint].id, "b_now": now, "b_by": who}
            for a in plan[Transition.ACKNOWLEDGE]
        ]
        await session.execute(_ACK, params)
        await session.execute(_ACK_OCCURRENCE, params)
        groups_of = await store.memberships(session, [p["b_id"] for p in params])
        events += [
            lifecycle_event(
                p["b_id"],
                "acknowledged",
                now,
                who,
                next(iter(groups_of[p["b_id"]]), None),
                groups=groups_of[p["b_id"]],
            )
            for p in params
        ]
    if plan[Transition.RESOLVE]:
        resolved = [(a, known[a.fingerprint]) for a in plan[Transition.RESOLVE]]
        await close(session, [(k, _resolved_at(a, now)) for a, k in resolved], now, who, events)

    opened = plan[Transition.NEW] + plan[Transition.REOPEN]
    if opened:
        ids = [result.ids[a.fingerprint] for a in opened]
        await session.execute(
            insert(O),
            [
                {
                    "alert_id": result.ids[a.fingerprint],
                    "severity": a.severity.value,
                    "started_at": a.starts_at or now,
                    "count": 1,
                    "last_value": a.current_value,
                }
                for a in opened
            ],
        )
        events += [
            lifecycle_event(
                i,
                "fired",
                now,
                who,
                severity=a.severity.value,
                reopened=a in plan[Transition.REOPEN],
            )
            for i, a in zip(ids, opened, strict=True)
        ]
        events += await placement.mute_route_and_group(
            session, opened, result.ids, batch, now, config, who
        )
    if events:
        await session.execute(insert(cast(Table, AlertEvent.__table__)), events)
    return result


def _resolved_at(a: IncomingAlert, now: datetime) -> datetime:
    return a.ends_at if a.ends_at is not None and a.ends_at <= now else now


async def close(
    session: AsyncSession,
    alerts: Sequence[tuple[Known, datetime]],
    now: datetime,
    who: str,
    events: list[dict[str, Any]],
) -> None:
    """Resolve open alerts. A muted alert's resolve is recorded like any other, so whoever
    was paged before the silence began still gets it."""
    await session.execute(_RESOLVE, [{"b_id": k.id, "b_at": at, "b_now": now} for k, at in alerts])
    await session.execute(
        _CLOSE_OCCURRENCE,
        [{"b_id": k.id, "b_at": at, "b_by": who, "b_count": k.count} for k, at in alerts],
    )
    # Every group the alert is in counts it out (those of `continue` routes too), and a
    # group left without an alert resolves.
    groups_of = await store.memberships(session, [k.id for k, _ in alerts])
    leaving = Counter(g for groups in groups_of.values() for g in groups)
    if leaving:
        await session.execute(
            _LEAVE_GROUP, [{"b_group": g, "b_n": n, "b_now": now} for g, n in leaving.items()]
        )
        await store.leave_groups(session, [k.id for k, _ in alerts])
    events += [
        lifecycle_event(
            k.id,
            "resolved",
            now,
            who,
            k.group_id,
            resolved_at=at.isoformat(),
            was_muted=k.muted_by,
            status_before=k.status,
            groups=groups_of[k.id],
        )
        for k, at in alerts
    ]
