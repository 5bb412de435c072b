"""The SLO evaluation cycle: fetch span/PromQL sources, evaluate every SLO, record a
status snapshot, and fire or resolve its burn-rate and predicted-breach alerts."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting.config import AlertingSettings
from sentinel.slo import alerts, readings, service, sources
from sentinel.slo.config import SloSettings
from sentinel.slo.evaluate import SloStatus, compute_statuses
from sentinel.slo.models import Slo, SloHour, SloMinute, SloSnapshot
from sentinel.slo.windows import format_duration
from sentinel.storage.base import UTCDateTime
from sentinel.worker.registry import JobContext, JobRegistry

CHUNK = 500
log = logging.getLogger("sentinel.slo")


async def evaluate_all(ctx: JobContext, _payload: dict[str, Any]) -> None:
    started = time.perf_counter()
    count = await evaluation_cycle(
        ctx.session, datetime.now(UTC), SloSettings(), AlertingSettings()
    )
    # Operators (and benchmarks/bench_slo.py --worker) read the cycle time from this line.
    log.info("slo evaluation cycle: %d SLOs in %.3f s", count, time.perf_counter() - started)


async def evaluation_cycle(
    session: AsyncSession, now: datetime, settings: SloSettings, alerting: AlertingSettings
) -> int:
    """One cycle over every SLO; returns how many were evaluated."""
    ids = list(await session.scalars(select(Slo.id).order_by(Slo.id)))
    for i in range(0, len(ids), CHUNK):
        chunk = list(await session.scalars(select(Slo).where(Slo.id.in_(ids[i : i + CHUNK]))))
        await sources.sync(
            session, [s for s in chunk if s.sli_source != "measurements"], now, settings
        )
        await _evaluate(session, chunk, now, settings, alerting)
    await session.execute(
        delete(SloSnapshot).where(
            SloSnapshot.at < now - timedelta(days=settings.snapshot_retention_days)
        )
    )
    return len(ids)


def _burn_alert(st: SloStatus, severity: str) -> dict[str, Any]:
    firing = [c for c in st.conditions if c.condition.severity == severity and c.firing]
    if not firing or not st.alerting.enabled:
        return {"firing": False}
    worst = max(firing, key=lambda c: c.long_rate / c.threshold)
    c = worst.condition
    window = f"{format_duration(c.long_window)}/{format_duration(c.short_window)}"
    return {
        "firing": True,
        "value": round(worst.long_rate, 4),
        "threshold": round(worst.threshold, 4),
        "summary": f"error budget burning {worst.long_rate:.1f}x over {window} "
        f"(threshold {worst.threshold:.2f}); {st.budget.remaining_ratio:.1%} left",
    }


async def _evaluate(
    session: AsyncSession,
    slos: list[Slo],
    now: datetime,
    settings: SloSettings,
    alerting: AlertingSettings,
) -> None:
    statuses = await compute_statuses(session, slos, now)
    states = await service.alert_states(session, [s.id for s in slos])
    trends = await _recent_snapshots(session, slos, statuses)
    plans: list[alerts.Plan] = []
    snapshots: list[dict[str, Any]] = []
    marks: list[dict[str, Any]] = []
    for slo in slos:
        st = statuses[slo.id]
        desired = {"page": _burn_alert(st, "page"), "ticket": _burn_alert(st, "ticket")}
        breach: dict[str, Any] = {"firing": False}
        if slo.id in trends:
            series = [*trends[slo.id], (st.now, st.budget.remaining_ratio)]
            expected = int(readings.TREND_LOOKBACK / timedelta(minutes=settings.snapshot_minutes))
            p = readings.run_prediction(st, series, expected + 1)
            if readings.breach_alert_due(st, p) and p.expected is not None:
                breach = {
                    "firing": True,
                    "value": round(p.expected.total_seconds() / 3600, 2),
                    "threshold": round(st.alerting.predict_horizon.total_seconds() / 3600, 2),
                    "summary": f"error budget predicted to run out in "
                    f"{p.expected.total_seconds() / 3600:.1f}h ({p.method}, confidence "
                    f"{p.confidence:.2f}); {st.budget.remaining_ratio:.1%} left",
                }
        desired["breach"] = breach
        plans.append((slo, desired, states.get(slo.id, [])))
        due = slo.last_snapshot_at is None or now - slo.last_snapshot_at >= timedelta(
            minutes=settings.snapshot_minutes
        )
        firing = [k for k, v in desired.items() if v["firing"]]
        if due or firing:
            snapshots.append(
                {
                    "slo_id": slo.id,
                    "at": st.now,
                    "sli": st.budget.sli,
                    "remaining_ratio": st.budget.remaining_ratio,
                    "good": st.totals.good,
                    "total": st.totals.total,
                    "burn_rates": {format_duration(w): b.rate for w, b in st.burn.items()},
                    "firing": firing,
                    "source_error": slo.source_error,
                }
            )
        marks.append({"b_id": slo.id, "b_at": now, "b_snap": now if due or firing else None})
    await alerts.apply_alert_states(session, plans, now, alerting)
    # Bulk statements: one per cycle chunk, not one per SLO.
    if snapshots:
        await session.execute(insert(SloSnapshot), snapshots)
    table = cast(Table, Slo.__table__)
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            last_evaluated_at=bindparam("b_at"),
            last_snapshot_at=func.coalesce(
                bindparam("b_snap", type_=UTCDateTime()), table.c.last_snapshot_at
            ),
        ),
        marks,
    )


async def _recent_snapshots(
    session: AsyncSession, slos: list[Slo], statuses: dict[int, SloStatus]
) -> dict[int, list[tuple[datetime, float]]]:
    """Trend input for the SLOs that could breach: budget left and burning at all."""
    wanted = [
        s.id
        for s in slos
        if statuses[s.id].alerting.predicted_breach
        and statuses[s.id].alerting.enabled
        and statuses[s.id].budget.remaining_ratio > 0
        and any(b.rate > 0 for b in statuses[s.id].burn.values())
    ]
    found: dict[int, list[tuple[datetime, float]]] = {}
    if not wanted:
        return found
    since = min(statuses[i].now for i in wanted) - readings.TREND_LOOKBACK
    rows = await session.execute(
        select(SloSnapshot.slo_id, SloSnapshot.at, SloSnapshot.remaining_ratio)
        .where(SloSnapshot.slo_id.in_(wanted), SloSnapshot.at >= since)
        .order_by(SloSnapshot.slo_id, SloSnapshot.at)
    )
    for slo_id, at, remaining in rows:
        if at < statuses[slo_id].now:
            found.setdefault(slo_id, []).append((at, remaining))
    for slo_id in wanted:
        found.setdefault(slo_id, [])
    return found


async def purge_old_buckets(ctx: JobContext, _payload: dict[str, Any]) -> None:
    await purge(ctx.session, datetime.now(UTC), SloSettings())


async def purge(session: AsyncSession, now: datetime, settings: SloSettings) -> None:
    """Drop minutes and hours past retention, SLO by SLO (each a primary-key range)."""
    ids = list(await session.scalars(select(Slo.id)))
    if not ids:
        return
    epoch_minute = int(now.timestamp() // 60)
    for model, key, days in (
        (SloMinute, SloMinute.minute, settings.minute_retention_days),
        (SloHour, SloHour.hour, settings.hour_retention_days),
    ):
        table = cast(Table, model.__table__)
        await session.execute(
            delete(table).where(table.c.slo_id == bindparam("b_id"), key < bindparam("b_cut")),
            [{"b_id": i, "b_cut": epoch_minute - days * 1440} for i in ids],
        )


def register(registry: JobRegistry) -> None:
    every = timedelta(seconds=SloSettings().evaluation_seconds)
    registry.every("slo.evaluate", every, evaluate_all)
    registry.every("slo.retention", timedelta(hours=1), purge_old_buckets)
