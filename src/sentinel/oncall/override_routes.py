"""/api/oncall/schedules/{id}/overrides: overrides and swaps, created, edited in place
(same validation as create) and deleted by writers of the schedule's team."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from sentinel.api.deps import Reader, SessionDep, Writer
from sentinel.api.errors import NotFound
from sentinel.api.pagination import Page, PageParams, paginate
from sentinel.auth import audit
from sentinel.auth.roles import Principal
from sentinel.oncall import service
from sentinel.oncall.models import Schedule, ScheduleOverride
from sentinel.oncall.ownership import require_team_access
from sentinel.oncall.schemas import OverrideIn, OverrideOut, OverridePatch
from sentinel.timeutil import UtcDatetime

router = APIRouter(tags=["oncall"])


def now() -> datetime:
    return datetime.now(UTC)


def override_out(row: ScheduleOverride) -> OverrideOut:
    return OverrideOut(
        id=row.id,
        schedule_id=row.schedule_id,
        user_id=row.user_id,
        replaces_user_id=row.replaces_user_id,
        start=row.starts_at,
        end=row.ends_at,
        created_by=row.created_by,
    )


async def writable_schedule(session: SessionDep, actor: Principal, schedule_id: int) -> Schedule:
    schedule = await service.get_schedule(session, schedule_id)
    await require_team_access(session, actor, schedule.team_id, f"schedule {schedule_id}")
    return schedule


async def get_override(session: SessionDep, schedule_id: int, override_id: int) -> ScheduleOverride:
    row = await session.get(ScheduleOverride, override_id)
    if row is None or row.schedule_id != schedule_id:
        raise NotFound(f"No override {override_id} in schedule {schedule_id}.")
    return row


@router.post("/schedules/{schedule_id}/overrides", response_model=OverrideOut, status_code=201)
async def create_override(
    schedule_id: int, body: OverrideIn, actor: Writer, session: SessionDep
) -> OverrideOut:
    """An override (user_id takes every shift in the window) or, with replaces_user_id, a
    swap (only that person's shifts). Overlapping overrides are refused (409)."""
    await writable_schedule(session, actor, schedule_id)
    await service.require_users(
        session, [body.user_id, *([body.replaces_user_id] if body.replaces_user_id else [])]
    )
    await service.check_override(
        session, schedule_id, body.start, body.end, body.replaces_user_id is not None
    )
    row = ScheduleOverride(
        schedule_id=schedule_id,
        user_id=body.user_id,
        replaces_user_id=body.replaces_user_id,
        starts_at=body.start,
        ends_at=body.end,
        created_by=actor.name,
        created_at=now(),
    )
    session.add(row)
    await session.flush()
    audit.record(
        session, actor, "oncall.override.create", "schedule", schedule_id, {"override": row.id}
    )
    return override_out(row)


@router.patch("/schedules/{schedule_id}/overrides/{override_id}", response_model=OverrideOut)
async def edit_override(
    schedule_id: int, override_id: int, body: OverridePatch, actor: Writer, session: SessionDep
) -> OverrideOut:
    """Move an override's window or hand it to somebody else, validated like a new one
    (inverted window 400, overlap with another override 409, unknown user 400)."""
    await writable_schedule(session, actor, schedule_id)
    row = await get_override(session, schedule_id, override_id)
    given = body.model_fields_set
    user_id = body.user_id if body.user_id is not None else row.user_id
    start = body.start if body.start is not None else row.starts_at
    end = body.end if body.end is not None else row.ends_at
    replaces = body.replaces_user_id if "replaces_user_id" in given else row.replaces_user_id
    await service.require_users(session, [user_id, *([replaces] if replaces else [])])
    await service.check_override(session, schedule_id, start, end, replaces is not None, row.id)
    before = [row.user_id, row.starts_at.isoformat(), row.ends_at.isoformat()]
    row.user_id, row.starts_at, row.ends_at, row.replaces_user_id = user_id, start, end, replaces
    audit.record(
        session,
        actor,
        "oncall.override.update",
        "schedule",
        schedule_id,
        {"override": override_id, "before": before, "changed": sorted(given)},
    )
    return override_out(row)


@router.get("/schedules/{schedule_id}/overrides", response_model=Page[OverrideOut])
async def list_overrides(
    schedule_id: int,
    _: Reader,
    session: SessionDep,
    page: PageParams,
    after: Annotated[UtcDatetime | None, Query(description="Only those ending after.")] = None,
) -> Page[OverrideOut]:
    await service.get_schedule(session, schedule_id)
    stmt = select(ScheduleOverride).where(ScheduleOverride.schedule_id == schedule_id)
    if after is not None:
        stmt = stmt.where(ScheduleOverride.ends_at > after)
    rows, cursor = await paginate(session, stmt, page, [ScheduleOverride.id])
    return Page(items=[override_out(r) for r in rows], next_cursor=cursor)


@router.delete("/schedules/{schedule_id}/overrides/{override_id}", status_code=204)
async def delete_override(
    schedule_id: int, override_id: int, actor: Writer, session: SessionDep
) -> Response:
    await writable_schedule(session, actor, schedule_id)
    row = await get_override(session, schedule_id, override_id)
    await session.delete(row)
    audit.record(
        session, actor, "oncall.override.delete", "schedule", schedule_id, {"override": override_id}
    )
    return Response(status_code=204)
