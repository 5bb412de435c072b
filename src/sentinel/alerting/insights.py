"""Statistics (counts, MTTA/MTTR, noisy alerts, trends) and fatigue analysis over the
stored alerts and occurrences."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, cast

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import fatigue
from sentinel.alerting.flapping import flapping_now, observed_states
from sentinel.alerting.models import Alert, AlertGroup, AlertOccurrence
from sentinel.alerting.severity import OPEN_STATUSES, Severity
from sentinel.alerting.stats import summary

LOW = {Severity.LOW.value, Severity.INFO.value}


@dataclass(frozen=True)
class OccurrenceRow:
    alert_id: int
    alert_name: str
    service: str
    severity: str
    labels: dict[str, str]
    threshold: float | None
    team_id: int | None
    started_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    last_value: float | None
    sends: int  # the occurrence's sends (first and re-sends)


async def _occurrences(session: AsyncSession, since: datetime) -> list[OccurrenceRow]:
    stmt = (
        select(
            AlertOccurrence.alert_id,
            Alert.alert_name,
            Alert.service,
            AlertOccurrence.severity,
            Alert.labels,
            Alert.threshold_value,
            AlertGroup.team_id,
            AlertOccurrence.started_at,
            AlertOccurrence.acknowledged_at,
            AlertOccurrence.resolved_at,
            AlertOccurrence.last_value,
            # An open occurrence's re-sends are counted on the alert until it closes.
            case(
                (AlertOccurrence.resolved_at.is_(None), Alert.count),
                else_=AlertOccurrence.count,
            ),
        )
        .join(Alert, Alert.id == AlertOccurrence.alert_id)
        .outerjoin(AlertGroup, AlertGroup.id == Alert.group_id)
        .where(AlertOccurrence.started_at >= since)
        .order_by(AlertOccurrence.started_at, AlertOccurrence.id)
    )
    rows = (await session.execute(stmt)).all()
    return [OccurrenceRow(*cast(tuple[Any, ...], row)) for row in rows]


async def _counts(session: AsyncSession, column: Any, since: datetime) -> dict[str, int]:
    rows = await session.execute(
        select(column, func.count()).where(Alert.last_seen_at >= since).group_by(column)
    )
    return {str(k): int(v) for k, v in rows}


async def statistics(session: AsyncSession, now: datetime, days: int) -> dict[str, Any]:
    """Counts by severity/service/state, MTTA and MTTR, top noisy alerts, daily trend."""
    since = now - timedelta(days=days)
    occ = await _occurrences(session, since)
    open_count = await session.scalar(
        select(func.count()).select_from(Alert).where(Alert.status.in_(OPEN_STATUSES))
    )
    tta = [(o.acknowledged_at - o.started_at).total_seconds() for o in occ if o.acknowledged_at]
    ttr = [(o.resolved_at - o.started_at).total_seconds() for o in occ if o.resolved_at]
    noisy = Counter((o.alert_name, o.service) for o in occ)
    trend: dict[str, Counter[str]] = defaultdict(Counter)
    for o in occ:
        trend[o.started_at.date().isoformat()][o.severity] += 1
    day0 = since.date()
    daily = []
    for i in range(days + 1):
        day = (day0 + timedelta(days=i)).isoformat()
        daily.append({"date": day, "total": sum(trend[day].values()), **dict(trend[day])})
    return {
        "window_days": days,
        "generated_at": now,
        "open_alerts": int(open_count or 0),
        "occurrences": len(occ),
        "by_severity": await _counts(session, Alert.severity, since),
        "by_service": await _counts(session, Alert.service, since),
        "by_status": await _counts(session, Alert.status, since),
        "mtta_seconds": summary(tta),
        "mttr_seconds": summary(ttr),
        "top_noisy": [
            {"alert_name": name, "service": svc, "occurrences": n}
            for (name, svc), n in noisy.most_common(10)
        ],
        "daily": daily,
    }


def _states(occ: Iterable[OccurrenceRow]) -> list[str]:
    return observed_states((o.sends, o.resolved_at is not None) for o in occ)


def _changes(states: list[str]) -> int:
    """Fire → resolve and resolve → fire changes in the report's window."""
    return sum(1 for a, b in pairwise(states) if a != b)


def _noise(
    key: str, rows: list[OccurrenceRow], days: float, flap: dict[int, float]
) -> fatigue.NoiseStats:
    label_values: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        for name, value in r.labels.items():
            label_values[name].add(value)
    varying = sorted(
        (n for n, vals in label_values.items() if len(vals) > 1 and n != "alertname"),
        key=lambda n: -len(label_values[n]),
    )
    thresholds = [r.threshold for r in rows if r.threshold is not None]
    return fatigue.NoiseStats(
        key=key,
        window_days=days,
        fires=len(rows),
        acknowledged=sum(1 for r in rows if r.acknowledged_at),
        self_resolved=sum(1 for r in rows if r.resolved_at and not r.acknowledged_at),
        low_severity=sum(1 for r in rows if r.severity in LOW),
        durations=[(r.resolved_at - r.started_at).total_seconds() for r in rows if r.resolved_at],
        flap_percent=max((flap.get(r.alert_id, 0.0) for r in rows), default=0.0),
        label_sets=len({r.alert_id for r in rows}),
        values=[r.last_value for r in rows if r.last_value is not None],
        threshold=thresholds[-1] if thresholds else None,
        fire_hours=[r.started_at.hour for r in rows],
        varying_labels=varying,
    )


def _report(s: fatigue.NoiseStats) -> dict[str, Any]:
    score, parts = fatigue.score(s)
    return {
        "key": s.key,
        "score": score,
        "parts": parts,
        "fires": s.fires,
        "fires_per_day": round(fatigue.fires_per_day(s), 2),
        "ack_rate": round(s.acknowledged / s.fires, 3) if s.fires else None,
        "self_resolved": s.self_resolved,
        "flap_percent": round(s.flap_percent, 1),
        "recommendations": [asdict(r) for r in fatigue.recommend(s)],
    }


def _by(
    rows: list[OccurrenceRow],
    key: Callable[[OccurrenceRow], str],
    days: float,
    flap: dict[int, float],
) -> list[dict[str, Any]]:
    buckets: dict[str, list[OccurrenceRow]] = defaultdict(list)
    for r in rows:
        buckets[key(r)].append(r)
    reports = [_report(_noise(k, v, days, flap)) for k, v in buckets.items()]
    return sorted(reports, key=lambda r: (-r["score"], r["key"]))


async def fatigue_report(session: AsyncSession, now: datetime, days: int) -> dict[str, Any]:
    """Flapping alerts, and a 0–100 fatigue score with recommendations per rule, service
    and team."""
    occ = await _occurrences(session, now - timedelta(days=days))
    per_alert: dict[int, list[OccurrenceRow]] = defaultdict(list)
    for o in occ:
        per_alert[o.alert_id].append(o)
    verdicts = {aid: flapping_now(_states(rows)) for aid, rows in per_alert.items()}
    flap = {aid: percent for aid, (_, percent) in verdicts.items()}
    flapping = [
        {
            "alert_id": aid,
            "alert_name": per_alert[aid][0].alert_name,
            "service": per_alert[aid][0].service,
            "state_change_percent": round(p, 1),
            "transitions": _changes(_states(per_alert[aid])),
        }
        for aid, p in sorted(flap.items(), key=lambda kv: -kv[1])
        if verdicts[aid][0]
    ]
    rules = _by(occ, lambda r: r.alert_name, days, flap)
    overall = round(sum(r["score"] * r["fires"] for r in rules) / max(1, len(occ)))
    return {
        "window_days": days,
        "generated_at": now,
        "fatigue_score": overall,
        "occurrences": len(occ),
        "flapping": flapping,
        "rules": rules,
        "services": _by(occ, lambda r: r.service or "(none)", days, flap),
        "teams": _by(occ, lambda r: str(r.team_id) if r.team_id else "(unrouted)", days, flap),
    }
