"""Maintenance exclusions (corrections): one-time ranges and recurring windows. Pure.

Excluded minutes are taken out of the SLI and out of the window's length, so planned
maintenance neither spends budget nor earns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sentinel.timeutil import local_to_utc

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Exclusion:
    """One-time: `start`..`end`. Recurring (`every` = "day" or "week"): from `start`
    (the first occurrence, a local wall-clock time in `tz`) for `duration`, repeated on
    `days` (weekly) until `end` (open-ended when None).

    Occurrences keep their local start time across daylight-saving changes, by the rule
    on-call rotations use (timeutil.local_to_utc): a start time the clocks skip (02:30 on
    a 02:00 -> 03:00 day) begins at the instant the clocks jump (03:00 local); a start
    time the clocks show twice begins at the first of the two (the one before the clocks
    go back). Every occurrence lasts `duration` of real time."""

    start: datetime
    end: datetime | None
    every: str | None = None
    duration: timedelta | None = None
    days: tuple[int, ...] = ()
    tz: str = "UTC"


def _ceil_minute(moment: datetime) -> datetime:
    floored = moment.replace(second=0, microsecond=0)
    return floored if floored == moment else floored + timedelta(minutes=1)


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def occurrences(ex: Exclusion, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The excluded ranges of `ex` that overlap [start, end), clipped to it."""
    found: list[tuple[datetime, datetime]] = []
    if ex.every is None:
        if ex.end is not None:
            found.append((ex.start, ex.end))
    else:
        assert ex.duration is not None
        zone = ZoneInfo(ex.tz)
        first_local = ex.start.astimezone(zone)
        at = time(first_local.hour, first_local.minute)
        # Start early enough to catch an occurrence that began before `start`.
        day = max(first_local.date(), (start - ex.duration).astimezone(zone).date())
        last_day = end.astimezone(zone).date()
        while day <= last_day:
            if ex.every == "day" or day.weekday() in ex.days:
                # The first day's occurrence is `start` itself: the wall-clock rule could
                # put it at the first of two repeated times, or cut its seconds, and so
                # before `start`, which would drop it.
                if day == first_local.date():
                    begin = ex.start
                else:
                    begin = local_to_utc(datetime.combine(day, at), zone)
                if begin >= ex.start and (ex.end is None or begin < ex.end):
                    found.append((begin, begin + ex.duration))
            day += timedelta(days=1)
    clipped = []
    for a, b in found:
        a, b = max(a, start), min(b, end)
        if a < b:
            clipped.append((_floor_minute(a), _ceil_minute(b)))
    return clipped


def merged_ranges(
    exclusions: list[Exclusion], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """All excluded minutes in [start, end) as sorted, non-overlapping ranges, so a minute
    covered by two exclusions is taken out once."""
    ranges = sorted(r for ex in exclusions for r in occurrences(ex, start, end))
    merged: list[tuple[datetime, datetime]] = []
    for a, b in ranges:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def total_minutes(ranges: list[tuple[datetime, datetime]]) -> float:
    return sum((b - a).total_seconds() for a, b in ranges) / 60.0
