"""Rotations in wall-clock time: who holds each shift of one layer. Pure, no I/O.

Shift boundaries are computed as local (naive) times in the rotation's IANA zone and only
then converted to UTC, so a 09:00 hand-off stays 09:00 local on both sides of a DST change
(the shift that spans the change is an hour shorter or longer, as on a wall calendar).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sentinel.timeutil import local_to_utc

MAX_SHIFTS_PER_QUERY = 100_000


class ScheduleError(ValueError):
    """A schedule definition that cannot be evaluated; the message says why."""


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or a ScheduleError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ScheduleError(
            f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'"
        ) from exc


@dataclass(frozen=True)
class Shift:
    """[start, end) in UTC held by user_id; layer is None for overrides."""

    user_id: int
    start: datetime
    end: datetime
    layer: int | None = None


@dataclass(frozen=True)
class Restriction:
    """A daily window [start, end) local time on the given ISO weekdays (1=Mon..7=Sun);
    end <= start runs past midnight into the next day."""

    weekdays: frozenset[int]
    start: time
    end: time

    def windows(
        self, tz: ZoneInfo, a: datetime, b: datetime
    ) -> Iterator[tuple[datetime, datetime]]:
        """UTC windows overlapping [a, b)."""
        day = a.astimezone(tz).date() - timedelta(days=1)
        last = b.astimezone(tz).date()
        while day <= last:
            if day.isoweekday() in self.weekdays:
                start_local = datetime.combine(day, self.start)
                end_day = day if self.end > self.start else day + timedelta(days=1)
                end_local = datetime.combine(end_day, self.end)
                ws, we = local_to_utc(start_local, tz), local_to_utc(end_local, tz)
                if ws < b and we > a and ws < we:
                    yield max(ws, a), min(we, b)
            day += timedelta(days=1)


@dataclass(frozen=True)
class Rotation:
    """Participants take turns, each for `shift_length` of wall-clock time, starting at the
    local time `anchor` (the first hand-off) in `time_zone`."""

    participants: tuple[int, ...]
    anchor: datetime  # naive, local wall clock
    shift_length: timedelta
    time_zone: str = "UTC"
    restrictions: tuple[Restriction, ...] = field(default=())

    def validate(self) -> None:
        zone(self.time_zone)
        if not self.participants:
            raise ScheduleError("a rotation needs at least one participant")
        if self.shift_length < timedelta(minutes=1):
            raise ScheduleError("shift length must be at least one minute")
        if self.anchor.tzinfo is not None:
            raise ScheduleError("the rotation start is a local wall-clock time (no offset)")
        for restriction in self.restrictions:
            if not restriction.weekdays or not restriction.weekdays <= set(range(1, 8)):
                raise ScheduleError("restriction weekdays must be 1 (Monday) to 7 (Sunday)")
            if restriction.start == restriction.end:
                raise ScheduleError("a restriction window must not be empty")

    def _boundary(self, index: int, tz: ZoneInfo) -> datetime:
        return local_to_utc(self.anchor + self.shift_length * index, tz)

    def _first_index(self, at: datetime, tz: ZoneInfo) -> int:
        """The largest shift index whose start is <= at (may be negative)."""
        local = at.astimezone(tz).replace(tzinfo=None)
        guess = (local - self.anchor) // self.shift_length
        # Wall-clock and UTC differ by at most a day's worth of offset: step to the exact one.
        while self._boundary(guess, tz) > at:
            guess -= 1
        while self._boundary(guess + 1, tz) <= at:
            guess += 1
        return guess

    def shifts(self, a: datetime, b: datetime, layer: int | None = None) -> list[Shift]:
        """Shifts overlapping [a, b), clipped to it, restrictions applied."""
        self.validate()
        tz = zone(self.time_zone)
        out: list[Shift] = []
        index = self._first_index(a, tz)
        count = len(self.participants)
        while True:
            start, end = self._boundary(index, tz), self._boundary(index + 1, tz)
            if start >= b:
                break
            if end > start:  # a shift that starts in a spring-forward gap may vanish
                user = self.participants[index % count]
                out.append(Shift(user, max(start, a), min(end, b), layer))
            index += 1
            if len(out) > MAX_SHIFTS_PER_QUERY:
                raise ScheduleError("range too long for this shift length")
        if self.restrictions:
            out = _restrict(out, self.restrictions, tz, a, b)
        return out


def _restrict(
    shifts: Sequence[Shift],
    restrictions: Sequence[Restriction],
    tz: ZoneInfo,
    a: datetime,
    b: datetime,
) -> list[Shift]:
    windows = merge_ranges(w for r in restrictions for w in r.windows(tz, a, b))
    out: list[Shift] = []
    for shift in shifts:
        for ws, we in windows:
            s, e = max(ws, shift.start), min(we, shift.end)
            if s < e:
                out.append(Shift(shift.user_id, s, e, shift.layer))
    return out


def merge_ranges(ranges: Iterator[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for s, e in sorted(ranges):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged
