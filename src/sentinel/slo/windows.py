"""SLO windows: rolling (7d, 28d, 30d…) and calendar (week, month, quarter in a time zone). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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


def _period_start(moment: datetime, unit: str, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone)
    day = local.date()
    if unit == "week":  # ISO weeks start on Monday
        day = day - timedelta(days=day.weekday())
    elif unit == "month":
        day = day.replace(day=1)
    else:
        day = day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    # Midnight local time; ZoneInfo resolves DST gaps with fold=0.
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _next_period_start(start_utc: datetime, unit: str, zone: ZoneInfo) -> datetime:
    local = start_utc.astimezone(zone)
    if unit == "week":
        day = local.date() + timedelta(days=7)
    else:
        months = 1 if unit == "month" else 3
        month_index = local.month - 1 + months
        day = local.date().replace(year=local.year + month_index // 12, month=month_index % 12 + 1)
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def window_bounds(window: SloWindow, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the window that holds `now`; a rolling window ends at `now`
    (minute-aligned), a calendar window at the end of its period."""
    now = floor_minute(now)
    if window.kind == "rolling":
        assert window.duration is not None
        return now - window.duration, now
    assert window.unit is not None
    zone = ZoneInfo(window.tz)
    start = _period_start(now, window.unit, zone)
    return start, _next_period_start(start, window.unit, zone)


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
