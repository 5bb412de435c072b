"""A schedule's final shifts: layers by priority, then swaps, then overrides. Pure.

At every instant the on-call person is taken from, in order: an override covering the
instant; otherwise the highest-priority layer with a shift there (a swap hands one
person's layer shifts in its window to another person). Nobody at all is a gap.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sentinel.oncall.rotation import Rotation, ScheduleError, Shift


@dataclass(frozen=True)
class Layer:
    id: int
    priority: int  # higher wins
    rotation: Rotation


@dataclass(frozen=True)
class Override:
    """user_id is on call for [start, end) whatever the layers say."""

    user_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Swap:
    """Within [start, end), layer shifts of from_user are held by to_user."""

    from_user: int
    to_user: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class FinalSchedule:
    shifts: list[Shift]
    gaps: list[Gap]


def check_intervals(items: Sequence[Override] | Sequence[Swap], what: str) -> None:
    """Inverted intervals, and overlapping overrides, are definition errors."""
    for item in items:
        if item.start.tzinfo is None or item.end.tzinfo is None:
            raise ScheduleError(f"{what} times need a UTC offset")
        if item.end <= item.start:
            raise ScheduleError(
                f"{what} ends ({item.end.isoformat()}) at or before it starts "
                f"({item.start.isoformat()})"
            )
    if what == "override":
        ordered: list[Override | Swap] = sorted(items, key=lambda i: i.start)
        for prev, cur in itertools.pairwise(ordered):
            if cur.start < prev.end:
                raise ScheduleError(
                    f"overrides overlap: {prev.start.isoformat()}–{prev.end.isoformat()} and "
                    f"{cur.start.isoformat()}–{cur.end.isoformat()}"
                )


class _Timeline:
    """Non-overlapping shifts sorted by start, for point lookup."""

    def __init__(self, shifts: Sequence[Shift]) -> None:
        self.shifts = sorted(shifts, key=lambda s: s.start)
        self.starts = [s.start for s in self.shifts]

    def at(self, t: datetime) -> Shift | None:
        i = bisect.bisect_right(self.starts, t) - 1
        if i >= 0 and self.shifts[i].start <= t < self.shifts[i].end:
            return self.shifts[i]
        return None


def final_shifts(
    layers: Sequence[Layer],
    overrides: Sequence[Override],
    swaps: Sequence[Swap],
    a: datetime,
    b: datetime,
) -> FinalSchedule:
    """The merged shifts covering [a, b) and the gaps in it (nobody on call)."""
    if b <= a:
        raise ScheduleError("the range ends at or before it starts")
    check_intervals(overrides, "override")
    check_intervals(swaps, "swap")
    ordered = sorted(layers, key=lambda layer: -layer.priority)
    timelines = [_Timeline(layer.rotation.shifts(a, b, layer.id)) for layer in ordered]
    override_line = _Timeline([Shift(o.user_id, o.start, o.end) for o in overrides])
    points = {a, b}
    for line in [*timelines, override_line]:
        for shift in line.shifts:
            points.update(p for p in (shift.start, shift.end) if a < p < b)
    for swap in swaps:
        points.update(p for p in (swap.start, swap.end) if a < p < b)
    cuts = sorted(points)
    shifts: list[Shift] = []
    gaps: list[Gap] = []
    for s, e in itertools.pairwise(cuts):
        holder = _holder(s, timelines, override_line, swaps)
        if holder is None:
            if gaps and gaps[-1].end == s:
                gaps[-1] = Gap(gaps[-1].start, e)
            else:
                gaps.append(Gap(s, e))
            continue
        user, layer = holder
        last = shifts[-1] if shifts else None
        if last and last.end == s and last.user_id == user and last.layer == layer:
            shifts[-1] = Shift(user, last.start, e, layer)
        else:
            shifts.append(Shift(user, s, e, layer))
    return FinalSchedule(shifts, gaps)


def _holder(
    t: datetime, timelines: Sequence[_Timeline], overrides: _Timeline, swaps: Sequence[Swap]
) -> tuple[int, int | None] | None:
    override = overrides.at(t)
    if override is not None:
        return override.user_id, None
    for line in timelines:
        shift = line.at(t)
        if shift is not None:
            user = shift.user_id
            for swap in swaps:
                if swap.from_user == user and swap.start <= t < swap.end:
                    user = swap.to_user
                    break
            return user, shift.layer
    return None


def on_call_at(
    layers: Sequence[Layer], overrides: Sequence[Override], swaps: Sequence[Swap], t: datetime
) -> int | None:
    """The user on call at instant t, or None in a gap."""
    result = final_shifts(layers, overrides, swaps, t, t + timedelta(microseconds=1))
    return result.shifts[0].user_id if result.shifts else None
