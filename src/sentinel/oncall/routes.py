"""/api/oncall/schedules: schedules with layers, overrides, who is on call, final shifts
with gaps, and iCalendar export per schedule and per user. Thin: logic in service/schedule."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import delete, select

from sentinel.api.deps import AuthConfigDep, CredentialDep, Reader, SessionDep, SettingsDep, Writer
from sentinel.api.errors import Conflict, Forbidden, NotFound, Unauthorized
from sentinel.api.pagination import Page, PageParams, paginate
from sentinel.auth import audit
from sentinel.auth.models import User
from sentinel.auth.roles import Permission
from sentinel.auth.service import authenticate
from sentinel.oncall import ical, service
from sentinel.oncall.ical import feed_token
from sentinel.oncall.models import EscalationPolicy, Schedule, ScheduleOverride
from sentinel.oncall.rotation import Shift
from sentinel.oncall.schemas import (
    FinalShiftsOut,
    GapOut,
    OnCallOut,
    OverrideIn,
    OverrideOut,
    ScheduleIn,
    ScheduleOut,
    ShiftOut,
)
from sentinel.timeutil import UtcDatetime

router = APIRouter(prefix="/api/oncall", tags=["oncall"])
ICS = "text/calendar; charset=utf-8"
ICS_PAST, ICS_AHEAD = timedelta(days=7), timedelta(days=60)


def now() -> datetime:
    return datetime.now(UTC)


def schedule_out(row: Schedule) -> ScheduleOut:
    return ScheduleOut.model_validate(row, from_attributes=True)


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


def shift_out(shift: Shift) -> ShiftOut:
    return ShiftOut(user_id=shift.user_id, start=shift.start, end=shift.end, layer=shift.layer)


@router.post("/schedules", response_model=ScheduleOut, status_code=201)
async def create_schedule(body: ScheduleIn, actor: Writer, session: SessionDep) -> ScheduleOut:
    """A schedule: IANA time zone and layers (rotation, hand-off, participants, restrictions)."""
    layers = await service.check_schedule(session, body)
    await service.name_taken(session, Schedule, body.name, None)
    row = Schedule(
        name=body.name,
        description=body.description,
        time_zone=body.time_zone,
        team_id=body.team_id,
        layers=layers,
        created_at=now(),
        updated_at=now(),
    )
    session.add(row)
    await session.flush()
    audit.record(session, actor, "oncall.schedule.create", "schedule", row.id, {"name": row.name})
    return schedule_out(row)


@router.get("/schedules", response_model=Page[ScheduleOut])
async def list_schedules(_: Reader, session: SessionDep, page: PageParams) -> Page[ScheduleOut]:
    rows, cursor = await service_page(session, page)
    return Page(items=[schedule_out(r) for r in rows], next_cursor=cursor)


async def service_page(session: SessionDep, page: PageParams) -> tuple[list[Schedule], str | None]:
    return await paginate(session, select(Schedule), page, [Schedule.id])


async def _ics_response(
    session: SessionDep, name: str, uid: str, schedules: list[Schedule], user_id: int | None
) -> Response:
    start = now() - ICS_PAST
    end = now() + ICS_AHEAD
    shifts: list[tuple[str, Shift]] = []
    for schedule in schedules:
        final = await service.final_schedule(session, schedule, start, end)
        shifts += [(schedule.name, s) for s in final.shifts if user_id in (None, s.user_id)]
    ids = {s.user_id for _, s in shifts}
    names = dict((await session.execute(select(User.id, User.name).where(User.id.in_(ids)))).all())
    body = ical.calendar(name, uid, shifts, {int(k): str(v) for k, v in names.items()}, now())
    return Response(body, media_type=ICS)


class CalendarAccess:
    """A calendar client cannot send headers: a .ics feed is readable with a Reader
    credential or with its `token` (HMAC of the feed with the app secret; rotating the
    secret revokes every feed link)."""

    @staticmethod
    async def check(
        session: SessionDep,
        settings: SettingsDep,
        config: AuthConfigDep,
        credential: CredentialDep,
        feed: str,
        token: str | None,
    ) -> None:
        if token is not None:
            if not hmac.compare_digest(token, feed_token(settings.jwt_secret(), feed)):
                raise Forbidden("The calendar feed token is not valid for this feed.")
            return
        if not credential:
            raise Unauthorized("Authentication required: a Reader credential or ?token=.")
        principal = await authenticate(session, config, credential)
        if not principal.can(Permission.READ):
            raise Forbidden("This action needs the 'read' permission.")


class FeedLink(BaseModel):
    url: str


@router.get("/schedules/{schedule_id}.ics", response_class=Response)
async def schedule_ics(
    schedule_id: int,
    session: SessionDep,
    settings: SettingsDep,
    config: AuthConfigDep,
    credential: CredentialDep,
    token: str | None = None,
) -> Response:
    """The schedule's final shifts from a week ago to 60 days ahead as iCalendar."""
    await CalendarAccess.check(
        session, settings, config, credential, f"schedule:{schedule_id}", token
    )
    schedule = await service.get_schedule(session, schedule_id)
    return await _ics_response(session, schedule.name, f"s{schedule.id}", [schedule], None)


@router.get("/users/{user_id}.ics", response_class=Response)
async def user_ics(
    user_id: int,
    session: SessionDep,
    settings: SettingsDep,
    config: AuthConfigDep,
    credential: CredentialDep,
    token: str | None = None,
) -> Response:
    """One person's on-call shifts across every schedule as iCalendar."""
    await CalendarAccess.check(session, settings, config, credential, f"user:{user_id}", token)
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    schedules = list(await session.scalars(select(Schedule).order_by(Schedule.id)))
    return await _ics_response(session, f"On call: {user.name}", f"u{user_id}", schedules, user_id)


@router.get("/schedules/{schedule_id}/calendar-link", response_model=FeedLink)
async def schedule_calendar_link(
    schedule_id: int, request: Request, _: Reader, session: SessionDep, settings: SettingsDep
) -> FeedLink:
    """A subscribable .ics URL with its feed token, for calendar clients."""
    await service.get_schedule(session, schedule_id)
    token = feed_token(settings.jwt_secret(), f"schedule:{schedule_id}")
    url = str(request.url_for("schedule_ics", schedule_id=schedule_id))
    return FeedLink(url=f"{url}?token={token}")


@router.get("/users/{user_id}/calendar-link", response_model=FeedLink)
async def user_calendar_link(
    user_id: int, request: Request, _: Reader, session: SessionDep, settings: SettingsDep
) -> FeedLink:
    """A subscribable .ics URL of one person's shifts, with its feed token."""
    if await session.get(User, user_id) is None:
        raise NotFound(f"No user with id {user_id}.")
    token = feed_token(settings.jwt_secret(), f"user:{user_id}")
    url = str(request.url_for("user_ics", user_id=user_id))
    return FeedLink(url=f"{url}?token={token}")


@router.get("/schedules/{schedule_id}", response_model=ScheduleOut)
async def get_schedule(schedule_id: int, _: Reader, session: SessionDep) -> ScheduleOut:
    return schedule_out(await service.get_schedule(session, schedule_id))


@router.put("/schedules/{schedule_id}", response_model=ScheduleOut)
async def replace_schedule(
    schedule_id: int, body: ScheduleIn, actor: Writer, session: SessionDep
) -> ScheduleOut:
    """Replace a schedule's definition (running escalations keep their frozen chains)."""
    row = await service.get_schedule(session, schedule_id)
    layers = await service.check_schedule(session, body)
    await service.name_taken(session, Schedule, body.name, schedule_id)
    row.name, row.description, row.time_zone = body.name, body.description, body.time_zone
    row.team_id, row.layers, row.updated_at = body.team_id, layers, now()
    audit.record(session, actor, "oncall.schedule.update", "schedule", row.id, {"name": row.name})
    return schedule_out(row)


@router.delete("/schedules/{schedule_id}", status_code=204)
async def delete_schedule(schedule_id: int, actor: Writer, session: SessionDep) -> Response:
    row = await service.get_schedule(session, schedule_id)
    for policy in await session.scalars(select(EscalationPolicy)):
        if any(
            s["kind"] == "notify_schedule" and schedule_id in s["targets"] for s in policy.steps
        ):
            raise Conflict(f"escalation policy {policy.id} ({policy.name}) pages this schedule")
    await session.execute(delete(ScheduleOverride).where(ScheduleOverride.schedule_id == row.id))
    await session.delete(row)
    audit.record(session, actor, "oncall.schedule.delete", "schedule", schedule_id)
    return Response(status_code=204)


@router.get("/schedules/{schedule_id}/on-call", response_model=OnCallOut)
async def who_is_on_call(
    schedule_id: int, _: Reader, session: SessionDep, at: UtcDatetime | None = None
) -> OnCallOut:
    """Who is on call now, or at `at`; user_id null means a gap."""
    schedule = await service.get_schedule(session, schedule_id)
    t = at or now()
    final = await service.final_schedule(session, schedule, t, t + timedelta(microseconds=1))
    shift = final.shifts[0] if final.shifts else None
    if shift is not None:  # report the whole shift around t, not the probe's microsecond
        whole = await service.final_schedule(
            session, schedule, t - timedelta(days=31), t + timedelta(days=31)
        )
        shift = next((s for s in whole.shifts if s.start <= t < s.end), shift)
    return OnCallOut(
        schedule_id=schedule_id,
        at=t,
        user_id=shift.user_id if shift else None,
        shift=shift_out(shift) if shift else None,
    )


@router.get("/schedules/{schedule_id}/shifts", response_model=FinalShiftsOut)
async def final_shifts(
    schedule_id: int,
    _: Reader,
    session: SessionDep,
    start: UtcDatetime,
    end: UtcDatetime,
) -> FinalShiftsOut:
    """The final shifts (layers, swaps and overrides merged) for [start, end) and its gaps."""
    schedule = await service.get_schedule(session, schedule_id)
    final = await service.final_schedule(session, schedule, start, end)
    return FinalShiftsOut(
        schedule_id=schedule_id,
        start=start,
        end=end,
        shifts=[shift_out(s) for s in final.shifts],
        gaps=[GapOut(start=g.start, end=g.end) for g in final.gaps],
    )


@router.post("/schedules/{schedule_id}/overrides", response_model=OverrideOut, status_code=201)
async def create_override(
    schedule_id: int, body: OverrideIn, actor: Writer, session: SessionDep
) -> OverrideOut:
    """An override (user_id takes every shift in the window) or, with replaces_user_id, a
    swap (only that person's shifts). Overlapping overrides are refused (409)."""
    await service.get_schedule(session, schedule_id)
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
    row = await session.get(ScheduleOverride, override_id)
    if row is None or row.schedule_id != schedule_id:
        raise NotFound(f"No override {override_id} in schedule {schedule_id}.")
    await session.delete(row)
    audit.record(
        session, actor, "oncall.override.delete", "schedule", schedule_id, {"override": override_id}
    )
    return Response(status_code=204)
