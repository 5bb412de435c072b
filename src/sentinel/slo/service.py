"""SLO operations: definitions, measurements, exclusions. Transactions belong to callers
(one per request or job); these functions only add to the session they are given."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.api.errors import Conflict, NotFound, Problem
from sentinel.auth import audit
from sentinel.auth.roles import Principal
from sentinel.slo import alerts, sources, store
from sentinel.slo.evaluate import to_minute
from sentinel.slo.models import Slo, SloAlertState, SloExclusion
from sentinel.slo.schemas import (
    ExclusionIn,
    Measurement,
    SliIn,
    SloCreate,
    SloOut,
    SloUpdate,
    conditions_json,
    parse_window,
)
from sentinel.slo.spec import window_from_json
from sentinel.storage.base import utcnow
from sentinel.timeutil import parse_duration

# Measurements may arrive a little early (clock skew) but not from the future.
MAX_CLOCK_SKEW = timedelta(minutes=5)


def to_out(slo: Slo) -> SloOut:
    return SloOut(
        id=slo.id,
        name=slo.name,
        service=slo.service,
        description=slo.description,
        target=slo.target,
        window=slo.window,
        budgeting=slo.budgeting,
        timeslice_target=slo.timeslice_target,
        sli={"source": slo.sli_source, **slo.sli_params},
        alerting=slo.alerting,
        labels=slo.labels,
        source_error=slo.source_error,
        source_error_at=slo.source_error_at,
        last_evaluated_at=slo.last_evaluated_at,
        created_at=slo.created_at,
        updated_at=slo.updated_at,
    )


def _alerting_json(body: Any, window: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = body.model_dump(exclude={"conditions"})
    conditions = conditions_json(body, window_from_json(window))
    if conditions is not None:
        data["conditions"] = conditions
    return data


def _invalid(message: str) -> Problem:
    return Problem(message, status=422, slug="validation-error")


async def get_slo(session: AsyncSession, slo_id: int) -> Slo:
    slo = await session.get(Slo, slo_id)
    if slo is None:
        raise NotFound(f"SLO {slo_id} does not exist.")
    return slo


async def _name_free(session: AsyncSession, name: str, except_id: int | None = None) -> None:
    existing = await session.scalar(select(Slo.id).where(Slo.name == name))
    if existing is not None and existing != except_id:
        raise Conflict(f"An SLO named {name!r} already exists (id {existing}).")


async def _check_sli(sli: SliIn) -> None:
    """Reject PromQL the server calls malformed now, rather than record errors forever."""
    if sli.source != "promql":
        return
    assert sli.url and sli.good_query and sli.total_query
    for field, query in (("good_query", sli.good_query), ("total_query", sli.total_query)):
        complaint = await sources.check_promql(sli.url, query)
        if complaint:
            raise _invalid(f"sli.{field} is not valid PromQL for {sli.url}: {complaint}")


async def create_slo(session: AsyncSession, actor: Principal | None, body: SloCreate) -> Slo:
    """Define an SLO; its name is unique. Audited."""
    await _name_free(session, body.name)
    await _check_sli(body.sli)
    window = parse_window(body.window)
    slo = Slo(
        name=body.name,
        service=body.service,
        description=body.description,
        target=body.target,
        window=window,
        budgeting=body.budgeting,
        timeslice_target=body.timeslice_target,
        sli_source=body.sli.source,
        sli_params=body.sli.params(),
        alerting=_alerting_json(body.alerting, window),
        labels=body.labels,
        created_by=actor.name if actor else "system",
    )
    session.add(slo)
    await session.flush()
    audit.record(session, actor, "slo.create", "slo", slo.id, {"name": slo.name})
    return slo


async def update_slo(
    session: AsyncSession, actor: Principal | None, slo: Slo, body: SloUpdate
) -> Slo:
    """Change an SLO. A new slice target rebuilds its hour rollups; a new SLI source
    refetches from the start of the window. Audited with the changed fields."""
    changes = body.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is not None:
        await _name_free(session, changes["name"], slo.id)
    try:
        window = parse_window(body.window) if body.window is not None else slo.window
        alerting = (
            _alerting_json(body.alerting, window) if body.alerting is not None else {**slo.alerting}
        )
        if body.alerting is None:
            # The stored policy must still fit a changed window.
            from sentinel.slo.schemas import AlertingIn

            _alerting_json(AlertingIn.model_validate(slo.alerting), window)
    except ValueError as exc:
        raise _invalid(str(exc)) from exc
    old_slice = store.slice_target(slo)
    for field in ("name", "service", "description", "target", "budgeting", "labels"):
        if changes.get(field) is not None:
            setattr(slo, field, changes[field])
    if "timeslice_target" in changes:
        slo.timeslice_target = body.timeslice_target
    slo.window = window
    slo.alerting = alerting
    if body.sli is not None:
        await _check_sli(body.sli)
        if body.sli.source != slo.sli_source or body.sli.params() != slo.sli_params:
            slo.synced_until = None
            slo.source_error = None
        slo.sli_source = body.sli.source
        slo.sli_params = body.sli.params()
    slo.updated_at = utcnow()
    if store.slice_target(slo) != old_slice:
        await store.lock_slo(session, slo.id)
        await store.rebuild_hours(session, slo)
    audit.record(session, actor, "slo.update", "slo", slo.id, {"changed": sorted(changes)})
    return slo


async def delete_slo(session: AsyncSession, actor: Principal | None, slo: Slo) -> None:
    """Delete an SLO, its data and alert state; firing SLO alerts are resolved. Audited."""
    await alerts.resolve_all(session, slo, utcnow())
    audit.record(session, actor, "slo.delete", "slo", slo.id, {"name": slo.name})
    await session.delete(slo)


async def record_measurements(
    session: AsyncSession, slo: Slo, items: list[Measurement], now: datetime
) -> int:
    """Add good/total events to their minute buckets; returns how many minutes changed."""
    if slo.sli_source != "measurements":
        raise Conflict(
            f"SLO {slo.id} takes its events from {slo.sli_source}; "
            "measurements can only be posted to SLOs whose SLI source is 'measurements'."
        )
    buckets: dict[int, tuple[float, float]] = {}
    for n, m in enumerate(items):
        at = m.timestamp or now
        if at > now + MAX_CLOCK_SKEW:
            raise _invalid(f"measurement {n}: timestamp {at.isoformat()} is in the future")
        minute = to_minute(at)
        good, total = buckets.get(minute, (0.0, 0.0))
        buckets[minute] = (good + m.good, total + m.total)
    await store.lock_slo(session, slo.id)
    await store.apply_minutes(session, slo, buckets)
    return len(buckets)


async def add_exclusion(
    session: AsyncSession, actor: Principal | None, slo: Slo, body: ExclusionIn
) -> SloExclusion:
    """Leave a maintenance window out of the SLI (one-time or recurring). Audited."""
    row = SloExclusion(
        slo_id=slo.id,
        reason=body.reason,
        start=body.start,
        end=body.end,
        every=body.every,
        duration_seconds=int(parse_duration(body.duration).total_seconds())
        if body.duration
        else None,
        days=sorted(set(body.days)),
        tz=body.tz,
        created_by=actor.name if actor else "system",
    )
    session.add(row)
    await session.flush()
    audit.record(session, actor, "slo.exclusion.create", "slo", slo.id, {"exclusion": row.id})
    return row


async def delete_exclusion(
    session: AsyncSession, actor: Principal | None, slo: Slo, exclusion_id: int
) -> None:
    deleted = await session.execute(
        delete(SloExclusion)
        .where(SloExclusion.id == exclusion_id, SloExclusion.slo_id == slo.id)
        .returning(SloExclusion.id)
    )
    if deleted.first() is None:
        raise NotFound(f"SLO {slo.id} has no exclusion {exclusion_id}.")
    audit.record(session, actor, "slo.exclusion.delete", "slo", slo.id, {"exclusion": exclusion_id})


async def alert_states(session: AsyncSession, slo_ids: list[int]) -> dict[int, list[SloAlertState]]:
    found: dict[int, list[SloAlertState]] = {}
    if not slo_ids:
        return found
    rows = await session.scalars(select(SloAlertState).where(SloAlertState.slo_id.in_(slo_ids)))
    for row in rows:
        found.setdefault(row.slo_id, []).append(row)
    return found
