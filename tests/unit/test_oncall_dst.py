"""Rotations across daylight-saving changes, in zones with whole- and half-hour changes:
shift boundaries stay in order, so a layer has exactly one person at every instant even
when shifts are shorter than the hour the clocks skip, and hand-offs keep their local
time (one that falls in the skipped hour happens when the clocks jump)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from sentinel.oncall.rotation import Rotation
from sentinel.oncall.schedule import Layer, Override, final_shifts, on_call_at

M = timedelta(minutes=1)
DST_ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe"]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """Every instant in 2025-2027 at which the zone's UTC offset changes."""
    zone, found = ZoneInfo(zone_name), []
    t = utc(2025, 1, 1)
    while t < utc(2028, 1, 1):
        after = t + timedelta(days=1)  # a zone changes at most once a day
        if t.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
            lo, hi = t, after
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                same = mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset()
                lo, hi = (mid, hi) if same else (lo, mid)
            found.append(hi)
        t = after
    return tuple(found)


def is_jump(t: datetime, zone: ZoneInfo) -> bool:
    return (t - M).astimezone(zone).utcoffset() != t.astimezone(zone).utcoffset()


def test_zones_have_changes_in_both_directions() -> None:
    for name in DST_ZONES:
        assert len(transitions(name)) == 6  # 3 years, spring and autumn


def test_half_hour_shifts_through_the_skipped_hour_never_overlap() -> None:
    # Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC).
    rotation = Rotation((1, 2, 3), datetime(2026, 3, 28), 30 * M, "Europe/Berlin")
    shifts = rotation.shifts(utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))
    assert [(s.user_id, s.start, s.end) for s in shifts] == [
        (3, utc(2026, 3, 29, 0), utc(2026, 3, 29, 0, 30)),  # 01:00-01:30 CET
        (1, utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1)),  # 01:30-02:00 CET
        # the turns due at 02:00 and 02:30 never show on the wall clock
        (1, utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 30)),  # 03:00-03:30 CEST
        (2, utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2)),
    ]


def test_a_hand_off_in_the_skipped_hour_happens_when_the_clocks_jump() -> None:
    zone = ZoneInfo("Europe/Berlin")
    rotation = Rotation((1, 2), datetime(2026, 3, 20, 2, 30), timedelta(days=1), zone.key)
    starts = [s.start for s in rotation.shifts(utc(2026, 3, 27, 12), utc(2026, 3, 31, 12))]
    local = [s.astimezone(zone).strftime("%m-%d %H:%M") for s in starts[1:]]
    assert local == ["03-28 02:30", "03-29 03:00", "03-30 02:30", "03-31 02:30"]


shift_lengths = st.sampled_from(
    [M, 15 * M, 30 * M, 45 * M, 60 * M, 90 * M, 8 * 60 * M, timedelta(days=1), timedelta(days=7)]
)


@settings(max_examples=200, deadline=None)
@given(
    zone_name=st.sampled_from(DST_ZONES),
    change=st.integers(0, 5),
    before=st.integers(0, 3 * 24 * 60),
    span=st.integers(1, 3 * 24 * 60),
    anchor=st.datetimes(min_value=datetime(2024, 6, 1), max_value=datetime(2025, 6, 1)),
    length=shift_lengths,
    participants=st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple),
)
def test_across_a_change_one_person_per_instant_and_hand_offs_keep_local_time(
    zone_name: str,
    change: int,
    before: int,
    span: int,
    anchor: datetime,
    length: timedelta,
    participants: tuple[int, ...],
) -> None:
    zone = ZoneInfo(zone_name)
    a = transitions(zone_name)[change] - before * M
    b = a + span * M
    rotation = Rotation(participants, anchor.replace(second=0, microsecond=0), length, zone_name)
    shifts = rotation.shifts(a, b)
    # Exactly one person at every instant of [a, b): contiguous, in order, none empty.
    assert shifts[0].start == a and shifts[-1].end == b
    assert all(s.start < s.end for s in shifts)
    assert all(prev.end == cur.start for prev, cur in itertools.pairwise(shifts))
    # Every hand-off is on the rotation's wall-clock grid, or is the moment the clocks jump
    # over a hand-off that never shows on the wall.
    for shift in shifts[1:]:
        wall = shift.start.astimezone(zone).replace(tzinfo=None)
        assert (wall - rotation.anchor) % length == timedelta() or is_jump(shift.start, zone)
    final = final_shifts([Layer(1, 0, rotation)], [], [], a, b)
    assert final.gaps == []
    assert sum((s.end - s.start for s in final.shifts), timedelta()) == b - a


@settings(max_examples=100, deadline=None)
@given(
    zone_name=st.sampled_from(DST_ZONES),
    change=st.integers(0, 5),
    length=shift_lengths,
    o_before=st.integers(0, 6 * 60),
    o_len=st.integers(1, 12 * 60),
    probe=st.integers(-12 * 60, 12 * 60),
)
def test_an_override_across_a_change_wins_where_it_covers(
    zone_name: str, change: int, length: timedelta, o_before: int, o_len: int, probe: int
) -> None:
    jump = transitions(zone_name)[change]
    rotation = Rotation((1, 2, 3), datetime(2025, 1, 1, 9), length, zone_name)
    override = Override(99, jump - o_before * M, jump + (o_len - o_before) * M)
    t = jump + probe * M
    who = on_call_at([Layer(1, 0, rotation)], [override], [], t)
    assert who == 99 if override.start <= t < override.end else who in (1, 2, 3)
