"""Calendar SLO windows start at the first instant of their local day, whatever the clocks
do around midnight. fold=0 read a missing midnight with the offset before the jump: right
when the jump starts at midnight (every 2025/2026 case), an hour late when it spans it
(Toronto 1919: 23:30 -> 00:30), and a clock set back across midnight (Phoenix 1944:
00:01 -> 23:01) put the minutes after it back in the previous period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sentinel.slo.windows import SloWindow, day_start, window_at, window_bounds

H = timedelta(hours=1)
ZONES = sorted(available_timezones() - {"Factory", "localtime"})


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def test_week_starts_when_clocks_jump_over_midnight() -> None:
    # Toronto, Monday 1919-03-31: 23:30 EST -> 00:30 EDT at 04:30 UTC.
    window = SloWindow.calendar("week", "America/Toronto")
    start, end = window_bounds(window, utc(1919, 3, 31, 4, 40))  # 00:40 EDT, Monday
    assert start == utc(1919, 3, 31, 4, 30)
    assert start <= utc(1919, 3, 31, 4, 40) < end
    assert start.astimezone(zone("America/Toronto")).isoformat() == "1919-03-31T00:30:00-04:00"
    # The week before ends where this one starts.
    assert window_bounds(window, utc(1919, 3, 31, 4, 29))[1] == start


def test_month_holds_the_hour_repeated_after_midnight() -> None:
    # Phoenix, 1944-01-01 00:01 MWT -> 1943-12-31 23:01 MST: January began at 06:00 UTC,
    # though the wall clock shows 31 December again from 06:01 to 07:00 UTC.
    window = SloWindow.calendar("month", "America/Phoenix")
    inside = utc(1944, 1, 1, 6, 30)
    assert inside.astimezone(zone("America/Phoenix")).date() == date(1943, 12, 31)
    start, end = window_bounds(window, inside)
    assert (start, end) == (utc(1944, 1, 1, 6), utc(1944, 2, 1, 7))
    # The minute of data ending there belongs to January, and December ended at 06:00.
    assert window_at(window, inside)[0] == start
    assert window_bounds(window, utc(1944, 1, 1, 5, 59)) == (utc(1943, 12, 1, 6), start)


@pytest.mark.parametrize(
    ("tz", "day", "expected"),
    [
        # Clocks 00:00 -> 01:00: the day starts at the jump, 01:00 local.
        ("America/Santiago", date(2025, 9, 7), utc(2025, 9, 7, 4)),
        ("America/Havana", date(2026, 3, 8), utc(2026, 3, 8, 5)),
        ("Asia/Beirut", date(2026, 3, 29), utc(2026, 3, 28, 22)),
        ("Africa/Cairo", date(2026, 4, 24), utc(2026, 4, 23, 22)),
        # Clocks 24:00 -> 23:00: the next midnight is once, after the repeated hour.
        ("America/Santiago", date(2026, 4, 5), utc(2026, 4, 5, 4)),
        # Clocks 01:00 -> 00:00: midnight shows twice, the day starts at the first.
        ("America/Havana", date(2025, 11, 2), utc(2025, 11, 2, 4)),
        ("Atlantic/Azores", date(2026, 10, 25), utc(2026, 10, 25, 0)),
        # A day the zone skipped starts with the next one.
        ("Pacific/Apia", date(2011, 12, 30), utc(2011, 12, 30, 10)),
    ],
)
def test_day_start_around_midnight_transitions(tz: str, day: date, expected: datetime) -> None:
    assert day_start(day, zone(tz)) == expected


@given(
    st.sampled_from(ZONES),
    st.dates(min_value=date(1900, 1, 2), max_value=date(2037, 12, 30)),
)
@example("America/Toronto", date(1919, 3, 31))
@example("America/Phoenix", date(1944, 1, 1))
@example("America/Santiago", date(2025, 9, 7))
@example("Pacific/Apia", date(2011, 12, 30))
def test_a_day_starts_at_its_first_instant(tz: str, day: date) -> None:
    local = zone(tz)
    start, following = day_start(day, local), day_start(day + timedelta(days=1), local)
    assert (start - timedelta(seconds=1)).astimezone(local).date() < day
    if start.astimezone(local).date() == day:
        assert start < following <= start + timedelta(hours=48)
    else:  # a day the zone skipped starts, and ends, with the next one
        assert start == following and start.astimezone(local).date() == day + timedelta(days=1)


@given(
    st.sampled_from(ZONES),
    st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)),
)
@example("America/Santiago", date(2025, 9, 6))
@example("America/Santiago", date(2026, 4, 4))
@example("Antarctica/Troll", date(2026, 3, 28))
def test_days_last_24h_less_the_change_of_offset(tz: str, day: date) -> None:
    # In 2025/2026 every change happens at or after midnight; a day is 24 h less what the
    # clocks moved forward during it (23 h or 25 h, 22/26 h at Troll, 23.5 h at Lord Howe).
    local = zone(tz)
    start, following = day_start(day, local), day_start(day + timedelta(days=1), local)

    def offset_before(t: datetime) -> timedelta:
        value = (t - timedelta(seconds=1)).astimezone(local).utcoffset()
        assert value is not None
        return value

    assert following - start == timedelta(days=1) - (
        offset_before(following) - offset_before(start)
    )
    assert timedelta(hours=22) <= following - start <= timedelta(hours=26)


@given(
    st.sampled_from(["week", "month", "quarter"]),
    st.sampled_from(ZONES),
    # Local mean time offsets had seconds (Addis Ababa +02:35:20, Monrovia -00:44:30 to 1972):
    # windows are made of minutes, so the generated range starts where offsets are whole.
    st.datetimes(min_value=datetime(1973, 1, 1), max_value=datetime(2037, 12, 1)),
)
@example("week", "America/Toronto", datetime(1919, 3, 31, 4, 40))
@example("month", "America/Phoenix", datetime(1944, 1, 1, 6, 30))
@example("quarter", "America/Phoenix", datetime(1944, 10, 1, 6, 30))
@example("month", "America/Santiago", datetime(2025, 9, 1, 3, 30))
def test_calendar_windows_hold_now_and_follow_each_other(
    unit: str, tz: str, naive: datetime
) -> None:
    window = SloWindow.calendar(unit, tz)
    now = naive.replace(tzinfo=UTC, second=0, microsecond=0)
    start, end = window_bounds(window, now)
    assert start <= now < end
    local = zone(tz)
    assert (start - timedelta(seconds=1)).astimezone(local).date() < start.astimezone(local).date()
    assert window_bounds(window, end)[0] == end  # the budget resets exactly there
    assert window_bounds(window, start - timedelta(minutes=1))[1] == start
