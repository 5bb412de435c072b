"""SLO windows: rolling (7d, 28d, 30d…) and calendar (week, month, quarter in a time zone). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sentinel.timeutil import parse_duration

CalendarUnit = Literal["week", "month", "quarter"]
CALENDAR_UNITS: tuple[str, ...] = ("week", "month", "quarter")
# Minute buckets are kept a little longer than this (SloSettings.minute_retention_days).
MAX_ROLLING = timedelta(days=90)
# The shortest a calendar period can be: what alert windows are checked against.
SHORTEST_PERIOD = {
    "week": timedelta(days=7),
    "month": timedelta(days=28),
    "quarter": timedelta(days=89),
}


@dataclass(frozen=True)
class SloWindow:
    """Either a rolling `duration`, or a calendar `unit` in time zone `tz`."""

    kind: Literal["rolling", "calendar"]
    duration: timedelta | None = None
    unit: CalendarUnit | None = None
    tz: str = "UTC"

    @staticmethod
    def rolling(duration: str | timedelta) -> SloWindow:
        value = parse_duration(duration) if isinstance(duration, str) else duration
        if value < timedelta(hours=1):
            raise ValueError("a rolling window must be at least 1h")
        if value > MAX_ROLLING:
            raise ValueError("a rolling window can be at most 90d (use a calendar quarter)")
        if value % timedelta(hours=1):
            raise ValueError("a rolling window must be a whole number of hours")
        return SloWindow(kind="rolling", duration=value)

    @staticmethod
    def calendar(unit: str, tz: str = "UTC") -> SloWindow:
        if unit not in CALENDAR_UNITS:
            raise ValueError(f"calendar unit must be one of {', '.join(CALENDAR_UNITS)}")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{tz!r} is not an IANA time zone") from exc
        return SloWindow(kind="calendar", unit=unit, tz=tz)  # type: ignore[arg-type]

    @property
    def nominal_length(self) -> timedelta:
        """The length burn-rate thresholds scale with (the shortest period for calendars)."""
        if self.kind == "rolling":
            assert self.duration is not None
            return self.duration
        assert self.unit is not None
        return SHORTEST_PERIOD[self.unit]

    def describe(self) -> str:
        if self.kind == "rolling":
            assert self.duration is not None
            return f"rolling {format_duration(self.duration)}"
        return f"calendar {self.unit} ({self.tz})"


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def floor_minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) whose local date in `zone` is `day`.

    Usually local midnight. Where the clocks jump over midnight (23:30 -> 00:30, Toronto
    1919) the day starts at the jump, not an hour later as fold=0 would read the missing
    midnight; where they are set back to the day before (00:01 -> 23:01, Phoenix 1944)
    midnight shows twice and the day starts at the first. A day the zone skipped entirely
    (Pacific/Apia 2011-12-30) starts with the next one."""
    midnight = datetime.combine(day, time())
    first = midnight.replace(tzinfo=zone, fold=0).astimezone(UTC)  # earlier of two readings
    if first.astimezone(zone).replace(tzinfo=None) == midnight:
        return first
    # Midnight is in a gap: the readings with the offsets after and before the jump bracket
    # it. Offsets change on whole seconds, so bisect seconds for the first reading past it.
    lo = int(midnight.replace(tzinfo=zone, fold=1).timestamp())
    hi = int(first.timestamp())
    lo, hi = min(lo, hi), max(lo, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= midnight:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def _first_day(day: date, unit: str) -> date:
    """The local date a period of `unit` holding `day` begins on."""
    if unit == "week":  # ISO weeks start on Monday
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)


def _next_first_day(first: date, unit: str) -> date:
    if unit == "week":
        return first + timedelta(days=7)
    month_index = first.month - 1 + (1 if unit == "month" else 3)
    return first.replace(year=first.year + month_index // 12, month=month_index % 12 + 1)


def _period(moment: datetime, unit: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the period holding `moment`: the last to start at or before
    it. Its local date alone can be a day behind: after clocks are set back across
    midnight the wall shows yesterday again, though the new day (and period) has begun."""
    first = _first_day(moment.astimezone(zone).date(), unit)
    following = _next_first_day(first, unit)
    end = day_start(following, zone)
    while end <= moment:
        first, following = following, _next_first_day(following, unit)
        end = day_start(following, zone)
    return day_start(first, zone), end


def window_bounds(window: SloWindow, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the window that holds `now`; a rolling window ends at `now`
    (minute-aligned), a calendar window at the end of its period."""
    now = floor_minute(now)
    if window.kind == "rolling":
        assert window.duration is not None
        return now - window.duration, now
    assert window.unit is not None
    return _period(now, window.unit, ZoneInfo(window.tz))


def window_length(window: SloWindow, now: datetime) -> timedelta:
    start, end = window_bounds(window, now)
    return end - start


def window_at(window: SloWindow, data_end: datetime) -> tuple[datetime, datetime]:
    """The window whose data runs up to `data_end` (a minute boundary, exclusive): a
    rolling window ends there; a calendar window is the period holding the minute before."""
    start, end = window_bounds(window, data_end - timedelta(minutes=1))
    if window.kind == "rolling":
        return data_end - (end - start), data_end
    return start, end
