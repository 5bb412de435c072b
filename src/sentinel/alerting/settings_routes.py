"""Routing tree, silences, inhibition rules and maintenance windows: CRUD with audit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import lifecycle, store
from sentinel.alerting.matchers import MatchType, parse_matchers
from sentinel.alerting.models import AlertRoute, InhibitionRule, MaintenanceWindow, Silence
from sentinel.alerting.schemas import (
    InhibitionIn,
    InhibitionOut,
    MaintenanceWindowIn,
    MaintenanceWindowOut,
    RouteIn,
    RouteOut,
    SilenceIn,
    SilenceOut,
)
from sentinel.alerting.store import silence_matchers, silence_rule
from sentinel.api.deps import Reader, Responder, SessionDep, Writer
from sentinel.api.errors import BadRequest, NotFound
from sentinel.api.pagination import Page, PageParams, paginate
from sentinel.auth import audit

router = APIRouter(prefix="/api/alerting", tags=["alerting configuration"])


def _now() -> datetime:
    return datetime.now(UTC)


async def _get(session: AsyncSession, model: Any, id_: int, what: str) -> Any:
    row = await session.get(model, id_)
    if row is None:
        raise NotFound(f"No {what} with id {id_}.")
    return row


# ---- routes -------------------------------------------------------------------------


async def _check_parent(session: AsyncSession, body: RouteIn, route_id: int | None) -> None:
    seen = {route_id} if route_id is not None else set()
    parent = body.parent_id
    while parent is not None:
        if parent in seen:
            raise BadRequest("parent_id would make a cycle in the routing tree.")
        seen.add(parent)
        row = await session.get(AlertRoute, parent)
        if row is None:
            raise BadRequest(f"parent_id {parent} is not a route.")
        parent = row.parent_id


@router.get("/routes", response_model=Page[RouteOut])
async def list_routes(_: Reader, session: SessionDep, page: PageParams) -> Page[RouteOut]:
    rows, cursor = await paginate(
        session, select(AlertRoute), page, [AlertRoute.id], descending=False
    )
    return Page(items=[RouteOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/routes", response_model=RouteOut, status_code=201)
async def create_route(body: RouteIn, principal: Writer, session: SessionDep) -> RouteOut:
    """Add a route under parent_id (or under the default route)."""
    await _check_parent(session, body, None)
    row = AlertRoute(**body.model_dump(), created_at=_now(), updated_at=_now())
    session.add(row)
    await session.flush()
    store.config_changed(session)
    audit.record(session, principal, "alert_route.create", "alert_route", row.id, body.model_dump())
    return RouteOut.model_validate(row)


@router.get("/routes/{route_id}", response_model=RouteOut)
async def get_route(route_id: int, _: Reader, session: SessionDep) -> RouteOut:
    return RouteOut.model_validate(await _get(session, AlertRoute, route_id, "route"))


@router.put("/routes/{route_id}", response_model=RouteOut)
async def replace_route(
    route_id: int, body: RouteIn, principal: Writer, session: SessionDep
) -> RouteOut:
    row = await _get(session, AlertRoute, route_id, "route")
    await _check_parent(session, body, route_id)
    for key, value in body.model_dump().items():
        setattr(row, key, value)
    row.updated_at = _now()
    store.config_changed(session)
    audit.record(session, principal, "alert_route.update", "alert_route", row.id, body.model_dump())
    return RouteOut.model_validate(row)


@router.delete("/routes/{route_id}", status_code=204)
async def delete_route(route_id: int, principal: Writer, session: SessionDep) -> Response:
    row = await _get(session, AlertRoute, route_id, "route")
    await session.delete(row)
    store.config_changed(session)
    audit.record(session, principal, "alert_route.delete", "alert_route", route_id)
    return Response(status_code=204)


# ---- silences -----------------------------------------------------------------------


def stored_matchers(texts: list[str]) -> list[dict[str, Any]]:
    """Our matcher strings in Alertmanager's stored shape."""
    out = []
    for text in texts:
        for m in parse_matchers(text):
            out.append(
                {
                    "name": m.name,
                    "value": m.value,
                    "isRegex": m.type in (MatchType.REGEX, MatchType.NOT_REGEX),
                    "isEqual": m.type in (MatchType.EQUAL, MatchType.REGEX),
                }
            )
    return out


def silence_out(row: Silence, now: datetime) -> SilenceOut:
    return SilenceOut(
        id=row.uid,
        matchers=[str(m) for m in silence_matchers(row.matchers)],
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        created_by=row.created_by,
        comment=row.comment,
        state=silence_rule(row).state(now),
    )


async def silence_by_uid(session: AsyncSession, uid: str) -> Silence:
    row = await session.scalar(select(Silence).where(Silence.uid == uid))
    if row is None:
        raise NotFound(f"No silence with id {uid}.")
    return row


@router.get("/silences", response_model=Page[SilenceOut])
async def list_silences(_: Reader, session: SessionDep, page: PageParams) -> Page[SilenceOut]:
    rows, cursor = await paginate(session, select(Silence), page, [Silence.id])
    now = _now()
    return Page(items=[silence_out(r, now) for r in rows], next_cursor=cursor)


@router.post("/silences", response_model=SilenceOut, status_code=201)
async def create_silence(body: SilenceIn, principal: Responder, session: SessionDep) -> SilenceOut:
    """Silence every alert matching all matchers between starts_at (default now) and ends_at."""
    now = _now()
    starts = body.starts_at or now
    if body.ends_at <= starts:
        raise BadRequest("ends_at must be after starts_at.")
    row = Silence(
        uid=str(uuid.uuid4()),
        matchers=stored_matchers(body.matchers),
        starts_at=starts,
        ends_at=body.ends_at,
        created_by=principal.name,
        comment=body.comment,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    audit.record(
        session,
        principal,
        "silence.create",
        "silence",
        row.uid,
        {"matchers": body.matchers, "ends_at": body.ends_at.isoformat()},
    )
    await lifecycle.refresh_mutes(session, now)
    return silence_out(row, now)


@router.get("/silences/{silence_id}", response_model=SilenceOut)
async def get_silence(silence_id: str, _: Reader, session: SessionDep) -> SilenceOut:
    return silence_out(await silence_by_uid(session, silence_id), _now())


@router.delete("/silences/{silence_id}", response_model=SilenceOut)
async def expire_silence(silence_id: str, principal: Responder, session: SessionDep) -> SilenceOut:
    """Expire a silence now; the alerts it muted are delivered again."""
    row = await silence_by_uid(session, silence_id)
    now = _now()
    await expire(session, row, now)
    audit.record(session, principal, "silence.expire", "silence", row.uid)
    return silence_out(row, now)


async def expire(session: AsyncSession, row: Silence, now: datetime) -> None:
    if row.ends_at > now:
        row.ends_at = max(now, row.starts_at)
        row.updated_at = now
        await session.flush()
        await lifecycle.refresh_mutes(session, now)


# ---- inhibition rules ---------------------------------------------------------------


@router.get("/inhibition-rules", response_model=Page[InhibitionOut])
async def list_inhibitions(_: Reader, session: SessionDep, page: PageParams) -> Page[InhibitionOut]:
    rows, cursor = await paginate(
        session, select(InhibitionRule), page, [InhibitionRule.id], descending=False
    )
    return Page(items=[InhibitionOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/inhibition-rules", response_model=InhibitionOut, status_code=201)
async def create_inhibition(
    body: InhibitionIn, principal: Writer, session: SessionDep
) -> InhibitionOut:
    """While an alert matching source_matchers fires, mute alerts matching
    target_matchers that have the same values for every label in `equal`."""
    row = InhibitionRule(**body.model_dump(), created_at=_now())
    session.add(row)
    await session.flush()
    audit.record(
        session, principal, "inhibition_rule.create", "inhibition_rule", row.id, body.model_dump()
    )
    await lifecycle.refresh_mutes(session, _now())
    return InhibitionOut.model_validate(row)


@router.get("/inhibition-rules/{rule_id}", response_model=InhibitionOut)
async def get_inhibition(rule_id: int, _: Reader, session: SessionDep) -> InhibitionOut:
    return InhibitionOut.model_validate(
        await _get(session, InhibitionRule, rule_id, "inhibition rule")
    )


@router.put("/inhibition-rules/{rule_id}", response_model=InhibitionOut)
async def replace_inhibition(
    rule_id: int, body: InhibitionIn, principal: Writer, session: SessionDep
) -> InhibitionOut:
    row = await _get(session, InhibitionRule, rule_id, "inhibition rule")
    for key, value in body.model_dump().items():
        setattr(row, key, value)
    await session.flush()
    audit.record(
        session, principal, "inhibition_rule.update", "inhibition_rule", row.id, body.model_dump()
    )
    await lifecycle.refresh_mutes(session, _now())
    return InhibitionOut.model_validate(row)


@router.delete("/inhibition-rules/{rule_id}", status_code=204)
async def delete_inhibition(rule_id: int, principal: Writer, session: SessionDep) -> Response:
    row = await _get(session, InhibitionRule, rule_id, "inhibition rule")
    await session.delete(row)
    await session.flush()
    audit.record(session, principal, "inhibition_rule.delete", "inhibition_rule", rule_id)
    await lifecycle.refresh_mutes(session, _now())
    return Response(status_code=204)


# ---- maintenance windows ------------------------------------------------------------


@router.get("/maintenance-windows", response_model=Page[MaintenanceWindowOut])
async def list_windows(
    _: Reader, session: SessionDep, page: PageParams
) -> Page[MaintenanceWindowOut]:
    rows, cursor = await paginate(
        session, select(MaintenanceWindow), page, [MaintenanceWindow.id], descending=False
    )
    return Page(items=[MaintenanceWindowOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/maintenance-windows", response_model=MaintenanceWindowOut, status_code=201)
async def create_window(
    body: MaintenanceWindowIn, principal: Writer, session: SessionDep
) -> MaintenanceWindowOut:
    """A recurring silence: weekdays (0 = Monday), local start time, duration, time zone."""
    row = MaintenanceWindow(**body.model_dump(), created_by=principal.name, created_at=_now())
    session.add(row)
    await session.flush()
    audit.record(
        session,
        principal,
        "maintenance_window.create",
        "maintenance_window",
        row.id,
        body.model_dump(),
    )
    await lifecycle.refresh_mutes(session, _now())
    return MaintenanceWindowOut.model_validate(row)


@router.get("/maintenance-windows/{window_id}", response_model=MaintenanceWindowOut)
async def get_window(window_id: int, _: Reader, session: SessionDep) -> MaintenanceWindowOut:
    return MaintenanceWindowOut.model_validate(
        await _get(session, MaintenanceWindow, window_id, "maintenance window")
    )


@router.put("/maintenance-windows/{window_id}", response_model=MaintenanceWindowOut)
async def replace_window(
    window_id: int, body: MaintenanceWindowIn, principal: Writer, session: SessionDep
) -> MaintenanceWindowOut:
    row = await _get(session, MaintenanceWindow, window_id, "maintenance window")
    for key, value in body.model_dump().items():
        setattr(row, key, value)
    await session.flush()
    audit.record(
        session,
        principal,
        "maintenance_window.update",
        "maintenance_window",
        row.id,
        body.model_dump(),
    )
    await lifecycle.refresh_mutes(session, _now())
    return MaintenanceWindowOut.model_validate(row)


@router.delete("/maintenance-windows/{window_id}", status_code=204)
async def delete_window(window_id: int, principal: Writer, session: SessionDep) -> Response:
    row = await _get(session, MaintenanceWindow, window_id, "maintenance window")
    await session.delete(row)
    await session.flush()
    audit.record(session, principal, "maintenance_window.delete", "maintenance_window", window_id)
    await lifecycle.refresh_mutes(session, _now())
    return Response(status_code=204)
