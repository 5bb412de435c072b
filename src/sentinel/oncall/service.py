"""On-call configuration: schedules, overrides, escalation policies, contact methods.
Validation errors become 4xx problems; every mutation is audited by the routes' callers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.api.errors import BadRequest, Conflict, NotFound
from sentinel.auth.models import Team, TeamMember, User
from sentinel.oncall.escalation import (
    Policy,
    PolicyError,
    Step,
    find_cycle,
    policy_edges,
    validate_steps,
)
from sentinel.oncall.models import EscalationPolicy, Schedule, ScheduleOverride
from sentinel.oncall.rotation import Restriction, Rotation, ScheduleError, zone
from sentinel.oncall.schedule import FinalSchedule, Layer, Override, Swap, final_shifts
from sentinel.oncall.schemas import EscalationPolicyIn, LayerIn, ScheduleIn

MAX_RANGE = timedelta(days=366)


async def require_users(session: AsyncSession, user_ids: Sequence[int]) -> None:
    wanted = set(user_ids)
    if not wanted:
        return
    found = set(await session.scalars(select(User.id).where(User.id.in_(wanted))))
    missing = sorted(wanted - found)
    if missing:
        raise BadRequest(f"unknown user id(s): {', '.join(map(str, missing))}")


def layer_json(layer: LayerIn) -> dict[str, Any]:
    return {
        "name": layer.name,
        "priority": layer.priority,
        "participants": layer.participants,
        "rotation": layer.rotation,
        "shift_length_s": layer.shift_length_s(),
        "start": layer.start.isoformat(),
        "restrictions": [
            {"weekdays": r.weekdays, "start": r.start.isoformat(), "end": r.end.isoformat()}
            for r in layer.restrictions
        ],
    }


def layers_of(schedule: Schedule) -> list[Layer]:
    """The stored layers as pure Layer values (index = layer id)."""
    out = []
    for index, raw in enumerate(schedule.layers):
        restrictions = tuple(
            Restriction(
                frozenset(r["weekdays"]),
                datetime.strptime(r["start"][:5], "%H:%M").time(),
                datetime.strptime(r["end"][:5], "%H:%M").time(),
            )
            for r in raw.get("restrictions", [])
        )
        rotation = Rotation(
            tuple(raw["participants"]),
            datetime.fromisoformat(raw["start"]),
            timedelta(seconds=raw["shift_length_s"]),
            schedule.time_zone,
            restrictions,
        )
        out.append(Layer(index, int(raw.get("priority", 0)), rotation))
    return out


async def check_schedule(session: AsyncSession, body: ScheduleIn) -> list[dict[str, Any]]:
    """Validate zone, layers and participants; returns the layers as stored JSON."""
    try:
        zone(body.time_zone)
        stub = Schedule(time_zone=body.time_zone, layers=[layer_json(x) for x in body.layers])
        for layer in layers_of(stub):
            layer.rotation.validate()
    except ScheduleError as exc:
        raise BadRequest(str(exc)) from exc
    await require_users(session, [u for layer in body.layers for u in layer.participants])
    if body.team_id is not None and await session.get(Team, body.team_id) is None:
        raise BadRequest(f"unknown team id {body.team_id}")
    return list(stub.layers)


async def get_schedule(session: AsyncSession, schedule_id: int) -> Schedule:
    schedule = await session.get(Schedule, schedule_id)
    if schedule is None:
        raise NotFound(f"No schedule with id {schedule_id}.")
    return schedule


async def name_taken(session: AsyncSession, model: Any, name: str, own_id: int | None) -> None:
    stmt = select(func.count()).select_from(model).where(model.name == name)
    if own_id is not None:
        stmt = stmt.where(model.id != own_id)
    if await session.scalar(stmt):
        raise Conflict(f"the name {name!r} is already taken")


async def overrides_between(
    session: AsyncSession, schedule_id: int, a: datetime, b: datetime
) -> tuple[list[Override], list[Swap]]:
    rows = await session.scalars(
        select(ScheduleOverride).where(
            ScheduleOverride.schedule_id == schedule_id,
            ScheduleOverride.ends_at > a,
            ScheduleOverride.starts_at < b,
        )
    )
    overrides, swaps = [], []
    for row in rows:
        if row.replaces_user_id is None:
            overrides.append(Override(row.user_id, row.starts_at, row.ends_at))
        else:
            swaps.append(Swap(row.replaces_user_id, row.user_id, row.starts_at, row.ends_at))
    return overrides, swaps


async def final_schedule(
    session: AsyncSession, schedule: Schedule, a: datetime, b: datetime
) -> FinalSchedule:
    """The final shifts of a schedule in [a, b) with its gaps."""
    if b <= a:
        raise BadRequest("end must be after start")
    if b - a > MAX_RANGE:
        raise BadRequest("the range may span at most 366 days")
    overrides, swaps = await overrides_between(session, schedule.id, a, b)
    try:
        return final_shifts(layers_of(schedule), overrides, swaps, a, b)
    except ScheduleError as exc:
        raise BadRequest(str(exc)) from exc


async def on_call_users(session: AsyncSession, schedule_id: int, at: datetime) -> list[int]:
    """Who a schedule pages at `at` (empty in a gap or for a deleted schedule)."""
    schedule = await session.get(Schedule, schedule_id)
    if schedule is None:
        return []
    result = await final_schedule(session, schedule, at, at + timedelta(microseconds=1))
    return [s.user_id for s in result.shifts]


async def team_members(session: AsyncSession, team_id: int) -> list[int]:
    rows = await session.scalars(
        select(TeamMember.user_id).where(TeamMember.team_id == team_id).order_by(TeamMember.user_id)
    )
    return list(rows)


async def check_override(
    session: AsyncSession,
    schedule_id: int,
    start: datetime,
    end: datetime,
    is_swap: bool,
    own_id: int | None = None,
) -> None:
    """400 for an inverted window; 409 if a (non-swap) override overlaps another one of the
    schedule (`own_id`: the override being edited, which may overlap its old self)."""
    if end <= start:
        raise BadRequest(
            f"the override ends ({end.isoformat()}) at or before it starts ({start.isoformat()})"
        )
    if is_swap:
        return
    stmt = select(ScheduleOverride.id).where(
        ScheduleOverride.schedule_id == schedule_id,
        ScheduleOverride.replaces_user_id.is_(None),
        ScheduleOverride.starts_at < end,
        ScheduleOverride.ends_at > start,
    )
    if own_id is not None:
        stmt = stmt.where(ScheduleOverride.id != own_id)
    clash = await session.scalar(stmt.limit(1))
    if clash is not None:
        raise Conflict(f"the override overlaps override {clash} of this schedule")


def policy_of(row: EscalationPolicy) -> Policy:
    return Policy(row.id, tuple(Step.from_json(s) for s in row.steps), row.repeat)


async def all_policies(session: AsyncSession) -> dict[int, Policy]:
    return {row.id: policy_of(row) for row in await session.scalars(select(EscalationPolicy))}


async def check_policy(session: AsyncSession, body: EscalationPolicyIn, own_id: int | None) -> None:
    """Shape, referenced ids, and no cycle through escalate_to with the stored policies."""
    steps = [Step(s.kind, tuple(s.targets), s.wait_minutes) for s in body.steps]
    try:
        validate_steps(steps, body.repeat)
    except PolicyError as exc:
        raise BadRequest(str(exc)) from exc
    await require_users(session, [t for s in steps if s.kind == "notify_users" for t in s.targets])
    for step in steps:
        if step.kind == "notify_schedule" and await session.get(Schedule, step.targets[0]) is None:
            raise BadRequest(f"unknown schedule id {step.targets[0]}")
        if step.kind == "notify_team" and await session.get(Team, step.targets[0]) is None:
            raise BadRequest(f"unknown team id {step.targets[0]}")
    policies = await all_policies(session)
    for step in steps:
        if (
            step.kind == "escalate_to"
            and step.targets[0] not in policies
            and (own_id is None or step.targets[0] != own_id)
        ):
            raise BadRequest(f"unknown escalation policy id {step.targets[0]}")
    candidate = own_id if own_id is not None else -1
    policies[candidate] = Policy(candidate, tuple(steps), body.repeat)
    cycle = find_cycle(policy_edges(policies))
    if cycle is not None:
        names = " → ".join("(this policy)" if p == -1 else str(p) for p in cycle)
        raise BadRequest(f"escalation policies would form a cycle: {names}")
