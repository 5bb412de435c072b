"""/api/oncall/schedules: schedules with layers, overrides, who is on call, final shifts
with gaps, and iCalendar export per schedule and per user. Thin: logic in service/schedule."""

from __future__ import annotations

import hmac
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy import delete, select

from sentinel.api.deps import AuthConfigDep, CredentialDep, Reader, SessionDep, SettingsDep, Writer
from sentinel.api.errors import Conflict, Forbidden, NotFound, Unauthorized
from sentinel.api.pagination import Page, PageParams, paginate
from sentinel.auth import audit
from sentinel.auth.models import User
from sentinel.auth.roles import Permission
from sentinel.auth.service import authenticate
from sentinel.oncall import ical, override_routes, service
from sentinel.oncall.ical import feed_token
from sentinel.oncall.models import EscalationPolicy, Schedule, ScheduleOverride
from sentinel.oncall.ownership import require_team_access
from sentinel.oncall.rotation import Shift
from sentinel.oncall.schemas import (
    FinalShiftsOut,
    GapOut,
    LayerShiftsOut,
    OnCallOut,
    ScheduleIn,
    ScheduleOut,
    ShiftOut,
)
from sentinel.timeutil import UtcDatetime

router = APIRouter(prefix="/api/oncall", tags=["oncall"])
router.include_router(override_routes.router)
ICS = "text/calendar; charset=utf-8"
ICS_PAST, ICS_AHEAD = timedelta(days=7), timedelta(days=60)


def now() -> datetime:
    return datetime.now(UTC)


def schedule_out(row: Schedule) -> ScheduleOut:
    return ScheduleOut.model_validate(row, from_attributes=True)


def shift_out(shift: Shift) -> ShiftOut:
    return ShiftOut(user_id=shift.user_id, start=shift.start, end=shift.end, layer=shift.layer)


@router.post("/schedules", response_model=ScheduleOut, status_code=201)
async def create_schedule(body: ScheduleIn, actor: Writer, session: SessionDep) -> ScheduleOut:
    """A schedule: IANA time zone and layers (rotation, hand-off, participants, restrictions).
    With `team_id` it belongs to that team: only its members (or an admin) may change it."""
    layers = await service.check_schedule(session, body)
    await require_team_access(session, actor, body.team_id, f"schedule {body.name!r}")
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
async def list_schedules(
    _: Reader, session: SessionDep, page: PageParams, team_id: int | None = None
) -> Page[ScheduleOut]:
    """Schedules, oldest first; `team_id` keeps those of one team."""
    stmt = select(Schedule)
    if team_id is not None:
        stmt = stmt.where(Schedule.team_id == team_id)
    rows, cursor = await paginate(session, stmt, page, [Schedule.id])
    return Page(items=[schedule_out(r) for r in rows], next_cursor=cursor)


async def _ics_response(
    session: SessionDep, name: str, feed: str, schedules: list[Schedule], user_id: int | None
) -> Response:
    at = now()
    start, end = at - ICS_PAST, at + ICS_AHEAD
    shifts: list[ical.FeedShift] = []
    for schedule in schedules:
        final = (await service.final_schedule(session, schedule, start, end)).shifts
        if final and final[0].start == start and user_id in (None, final[0].user_id):
            natural = await _natural_start(session, schedule, start)
            final[0] = replace(final[0], start=natural)
        shifts += [
            ical.FeedShift(schedule.id, schedule.name, s)
            for s in final
            if user_id in (None, s.user_id)
        ]
    ids = {item.shift.user_id for item in shifts}
    names = dict((await session.execute(select(User.id, User.name).where(User.id.in_(ids)))).all())
    body = ical.calendar(name, feed, shifts, {int(k): str(v) for k, v in names.items()}, at)
    return Response(body, media_type=ICS)


async def _natural_start(session: SessionDep, schedule: Schedule, at: datetime) -> datetime:
    """Where the final shift holding `at` began (ical.lookbacks says how far we look)."""
    instant = timedelta(microseconds=1)
    held = at
    for start in ical.lookbacks(at):
        final = await service.final_schedule(session, schedule, start, at + instant)
        held = final.shifts[-1].start  # someone holds `at`: the caller's shift starts there
        if held > start:
            break
    return held


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
    await require_team_access(session, actor, row.team_id, f"schedule {schedule_id}")
    layers = await service.check_schedule(session, body)
    if body.team_id != row.team_id:  # moving it to a team needs a say in that team too
        await require_team_access(session, actor, body.team_id, f"schedule {body.name!r}")
    await service.name_taken(session, Schedule, body.name, schedule_id)
    row.name, row.description, row.time_zone = body.name, body.description, body.time_zone
    row.team_id, row.layers, row.updated_at = body.team_id, layers, now()
    audit.record(session, actor, "oncall.schedule.update", "schedule", row.id, {"name": row.name})
    return schedule_out(row)


@router.delete("/schedules/{schedule_id}", status_code=204)
async def delete_schedule(schedule_id: int, actor: Writer, session: SessionDep) -> Response:
    row = await service.get_schedule(session, schedule_id)
    await require_team_access(session, actor, row.team_id, f"schedule {schedule_id}")
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
    """The final shifts (layers, swaps and overrides merged) for [start, end) and its gaps,
    and each layer's own shifts."""
    schedule = await service.get_schedule(session, schedule_id)
    final = await service.final_schedule(session, schedule, start, end)
    layers = [
        LayerShiftsOut(
            index=layer.id,
            name=str(raw.get("name") or ""),
            priority=layer.priority,
            shifts=[shift_out(s) for s in layer.rotation.shifts(start, end, layer.id)],
        )
        for layer, raw in zip(service.layers_of(schedule), schedule.layers, strict=True)
    ]
    return FinalShiftsOut(
        schedule_id=schedule_id,
        start=start,
        end=end,
        shifts=[shift_out(s) for s in final.shifts],
        gaps=[GapOut(start=g.start, end=g.end) for g in final.gaps],
        layers=layers,
    )
