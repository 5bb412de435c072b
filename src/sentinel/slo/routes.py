"""The brief's SLO API plus get/update/delete, exclusions and OpenSLO. Thin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from sentinel.api.deps import Ingester, Reader, SessionDep, Writer
from sentinel.api.errors import BadRequest
from sentinel.api.pagination import Page, PageParams, decode_cursor, encode_cursor, paginate
from sentinel.slo import openslo_routes, readings, report, service
from sentinel.slo.config import SloSettings
from sentinel.slo.evaluate import compute_statuses
from sentinel.slo.models import Slo, SloExclusion
from sentinel.slo.schemas import (
    ExclusionIn,
    ExclusionOut,
    MeasurementBatch,
    MeasurementsAccepted,
    SloCreate,
    SloOut,
    SloUpdate,
)
from sentinel.slo.windows import floor_minute
from sentinel.timeutil import UtcDatetime, parse_duration

router = APIRouter(prefix="/api/slo", tags=["slo"])
# First, so /api/slo/openslo is not taken for an SLO id.
router.include_router(openslo_routes.router)


def now() -> datetime:
    return datetime.now(UTC)


def _duration(text: str, name: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise BadRequest(f"{name}: {exc}") from exc


@router.post("", response_model=SloOut, status_code=201)
async def create_slo(body: SloCreate, actor: Writer, session: SessionDep) -> SloOut:
    """Define an SLO: target in (0, 1), window, budgeting method, SLI source, alerting."""
    return service.to_out(await service.create_slo(session, actor, body))


@router.get("", response_model=Page[SloOut])
async def list_slos(
    _: Reader,
    session: SessionDep,
    page: PageParams,
    service_name: Annotated[str | None, Query(alias="service")] = None,
) -> Page[SloOut]:
    """All SLOs, newest first; filter by service."""
    stmt = select(Slo)
    if service_name:
        stmt = stmt.where(Slo.service == service_name)
    rows, cursor = await paginate(session, stmt, page, [Slo.id])
    return Page(items=[service.to_out(r) for r in rows], next_cursor=cursor)


@router.get("/statuses", response_model=Page[readings.StatusOut])
async def list_statuses(
    _: Reader,
    session: SessionDep,
    page: PageParams,
    service_name: Annotated[str | None, Query(alias="service")] = None,
) -> Page[readings.StatusOut]:
    """Each SLO's status (as `/{id}/status`) in the list's order and pages: one request
    for a list of SLOs with their budgets and alert states."""
    stmt = select(Slo)
    if service_name:
        stmt = stmt.where(Slo.service == service_name)
    rows, cursor = await paginate(session, stmt, page, [Slo.id])
    statuses = await compute_statuses(session, rows, now())
    states = await service.alert_states(session, [r.id for r in rows])
    return Page(
        items=[readings.status_out(r, statuses[r.id], states.get(r.id, [])) for r in rows],
        next_cursor=cursor,
    )


@router.get("/violations", response_model=Page[report.ViolationOut])
async def violations(
    _: Reader,
    session: SessionDep,
    page: PageParams,
    service_name: Annotated[str | None, Query(alias="service")] = None,
) -> Page[report.ViolationOut]:
    """SLOs out of target in their window or burning above a burn-rate threshold now,
    in SLO id order."""
    after = None
    if page.cursor:
        (after,) = decode_cursor(page.cursor, 1)
        if not isinstance(after, int):
            raise BadRequest("The cursor is not valid; use next_cursor from a previous page.")
    found, last = await report.violations(session, now(), service_name, page.limit, after)
    return Page(items=found, next_cursor=encode_cursor([last]) if last is not None else None)


@router.get("/report", response_model=report.ReportOut)
async def compliance_report(
    _: Reader,
    session: SessionDep,
    start: UtcDatetime | None = None,
    end: UtcDatetime | None = None,
    service_name: Annotated[str | None, Query(alias="service")] = None,
    format: Literal["json", "markdown"] = "json",
) -> Response | report.ReportOut:
    """Compliance per SLO and service over [start, end) (default: the last 30 days), as
    JSON or Markdown (`format=markdown`)."""
    # By default through the current minute, so just-posted events count.
    end = end or floor_minute(now()) + timedelta(minutes=1)
    start = start or end - timedelta(days=30)
    if start >= end:
        raise BadRequest("start must be before end")
    if end - start > timedelta(days=400):
        raise BadRequest("a report covers at most 400 days")
    result = await report.report(session, start, end, service_name)
    if format == "markdown":
        return Response(report.to_markdown(result), media_type="text/markdown; charset=utf-8")
    return result


@router.get("/{slo_id}", response_model=SloOut)
async def get_slo(slo_id: int, _: Reader, session: SessionDep) -> SloOut:
    return service.to_out(await service.get_slo(session, slo_id))


@router.patch("/{slo_id}", response_model=SloOut)
async def update_slo(slo_id: int, body: SloUpdate, actor: Writer, session: SessionDep) -> SloOut:
    slo = await service.get_slo(session, slo_id)
    return service.to_out(await service.update_slo(session, actor, slo, body))


@router.delete("/{slo_id}", status_code=204)
async def delete_slo(slo_id: int, actor: Writer, session: SessionDep) -> Response:
    """Delete an SLO with its data; its firing alerts are resolved."""
    await service.delete_slo(session, actor, await service.get_slo(session, slo_id))
    return Response(status_code=204)


@router.post("/{slo_id}/measurements", response_model=MeasurementsAccepted)
async def record_measurements(
    slo_id: int, body: MeasurementBatch, _: Ingester, session: SessionDep
) -> MeasurementsAccepted:
    """Good/total events (one, or a batch under `measurements`); good > total is a 422."""
    slo = await service.get_slo(session, slo_id)
    items = body.items()
    minutes = await service.record_measurements(session, slo, items, now())
    return MeasurementsAccepted(accepted=len(items), minutes=minutes)


@router.get("/{slo_id}/status", response_model=readings.StatusOut)
async def slo_status(slo_id: int, _: Reader, session: SessionDep) -> readings.StatusOut:
    """SLI, error budget (ratio and events or time), burn rates 5m…3d, alert state."""
    slo = await service.get_slo(session, slo_id)
    st = (await compute_statuses(session, [slo], now()))[slo.id]
    states = (await service.alert_states(session, [slo.id])).get(slo.id, [])
    return readings.status_out(slo, st, states)


@router.get("/{slo_id}/history", response_model=readings.HistoryOut)
async def slo_history(
    slo_id: int,
    _: Reader,
    session: SessionDep,
    start: UtcDatetime | None = None,
    end: UtcDatetime | None = None,
    step: str = "1h",
) -> readings.HistoryOut:
    """The burn-down: SLI and remaining budget of the window at each step."""
    slo = await service.get_slo(session, slo_id)
    return await readings.history(session, slo, now(), start, end, _duration(step, "step"))


@router.get("/{slo_id}/predict", response_model=readings.PredictionOut)
async def slo_predict(slo_id: int, _: Reader, session: SessionDep) -> readings.PredictionOut:
    """Time to budget exhaustion from the current burn and the trend, with confidence."""
    slo = await service.get_slo(session, slo_id)
    return await readings.prediction(session, slo, now(), SloSettings().snapshot_minutes)


@router.post("/{slo_id}/exclusions", response_model=ExclusionOut, status_code=201)
async def add_exclusion(
    slo_id: int, body: ExclusionIn, actor: Writer, session: SessionDep
) -> ExclusionOut:
    """A maintenance window left out of the SLI: one-time or recurring."""
    slo = await service.get_slo(session, slo_id)
    row = await service.add_exclusion(session, actor, slo, body)
    return ExclusionOut.model_validate(row, from_attributes=True)


@router.get("/{slo_id}/exclusions", response_model=list[ExclusionOut])
async def list_exclusions(slo_id: int, _: Reader, session: SessionDep) -> list[ExclusionOut]:
    await service.get_slo(session, slo_id)
    rows = await session.scalars(
        select(SloExclusion).where(SloExclusion.slo_id == slo_id).order_by(SloExclusion.id)
    )
    return [ExclusionOut.model_validate(r, from_attributes=True) for r in rows]


@router.delete("/{slo_id}/exclusions/{exclusion_id}", status_code=204)
async def delete_exclusion(
    slo_id: int, exclusion_id: int, actor: Writer, session: SessionDep
) -> Response:
    slo = await service.get_slo(session, slo_id)
    await service.delete_exclusion(session, actor, slo, exclusion_id)
    return Response(status_code=204)
