"""On-call pure core: rotations, layers, overrides, swaps, DST, escalation chains."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinel.oncall.escalation import (
    Advance,
    Policy,
    PolicyError,
    Step,
    advance,
    find_cycle,
    freeze,
    page_key,
    recipients,
    validate_steps,
)
from sentinel.oncall.rotation import Restriction, Rotation, ScheduleError
from sentinel.oncall.schedule import Layer, Override, Swap, final_shifts, on_call_at

D = timedelta(days=1)
H = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def daily(users: tuple[int, ...], tz: str = "UTC", hour: int = 9) -> Rotation:
    return Rotation(users, datetime(2026, 1, 5, hour), D, tz)


# --- rotations -----------------------------------------------------------------------------


def test_daily_rotation_hands_off_at_nine_in_turn() -> None:
    shifts = daily((1, 2, 3)).shifts(utc(2026, 1, 5, 9), utc(2026, 1, 9, 9))
    assert [s.user_id for s in shifts] == [1, 2, 3, 1]
    assert [s.start for s in shifts] == [utc(2026, 1, d, 9) for d in (5, 6, 7, 8)]


def test_weekly_rotation() -> None:
    rotation = Rotation((7, 8), datetime(2026, 1, 5, 10), 7 * D, "UTC")
    assert rotation.shifts(utc(2026, 1, 12, 12), utc(2026, 1, 12, 13))[0].user_id == 8
    assert rotation.shifts(utc(2026, 1, 19, 9), utc(2026, 1, 19, 11))[0].user_id == 8
    assert rotation.shifts(utc(2026, 1, 19, 9), utc(2026, 1, 19, 11))[1].user_id == 7


def test_before_anchor_rotation_runs_backwards() -> None:
    shifts = daily((1, 2, 3)).shifts(utc(2026, 1, 4, 12), utc(2026, 1, 4, 13))
    assert shifts[0].user_id == 3


@pytest.mark.parametrize(
    ("tz", "change"),
    [
        ("Europe/Berlin", datetime(2026, 3, 29)),
        ("Europe/Berlin", datetime(2026, 10, 25)),
        ("America/New_York", datetime(2026, 3, 8)),
        ("America/New_York", datetime(2026, 11, 1)),
        ("Australia/Sydney", datetime(2026, 4, 5)),
    ],
)
def test_nine_am_hand_off_stays_nine_local_across_dst(tz: str, change: datetime) -> None:
    zone = ZoneInfo(tz)
    rotation = Rotation((1, 2), datetime(2026, 1, 1, 9), D, tz)
    a = (change - 3 * D).replace(tzinfo=zone).astimezone(UTC)
    shifts = rotation.shifts(a, a + 7 * D)
    starts = [s.start.astimezone(zone) for s in shifts[1:]]
    assert all(s.hour == 9 and s.minute == 0 for s in starts)
    lengths = {s.end - s.start for s in shifts[1:-1]}
    # Exactly one shift spans the change and is an hour shorter or longer.
    assert lengths in ({D, D - H}, {D, D + H})


def test_unknown_time_zone_is_a_clear_error() -> None:
    with pytest.raises(ScheduleError, match="unknown time zone 'Mars/Olympus'"):
        daily((1,), "Mars/Olympus").shifts(utc(2026, 1, 1), utc(2026, 1, 2))


def test_restriction_weekdays_business_hours() -> None:
    business = Restriction(frozenset({1, 2, 3, 4, 5}), time(9), time(17))
    rotation = Rotation((1, 2), datetime(2026, 1, 5, 0), 7 * D, "Europe/Berlin", (business,))
    # Mon 2026-01-05 .. Mon 2026-01-12 (Berlin is UTC+1 in winter)
    result = final_shifts([Layer(1, 0, rotation)], [], [], utc(2026, 1, 5), utc(2026, 1, 12))
    assert len(result.shifts) == 5
    assert all(s.start.astimezone(ZoneInfo("Europe/Berlin")).hour == 9 for s in result.shifts)
    assert all(s.end - s.start == 8 * H for s in result.shifts)
    assert result.gaps[0].start == utc(2026, 1, 5) and result.gaps[0].end == utc(2026, 1, 5, 8)


def test_overnight_restriction() -> None:
    nights = Restriction(frozenset(range(1, 8)), time(22), time(6))
    rotation = Rotation((4,), datetime(2026, 1, 1), D, "UTC", (nights,))
    shifts = rotation.shifts(utc(2026, 1, 5), utc(2026, 1, 6))
    assert [(s.start, s.end) for s in shifts] == [
        (utc(2026, 1, 5), utc(2026, 1, 5, 6)),
        (utc(2026, 1, 5, 22), utc(2026, 1, 6)),
    ]


# --- layers, overrides, swaps --------------------------------------------------------------


def test_higher_priority_layer_wins_and_lower_fills_the_rest() -> None:
    base = Layer(1, 0, daily((1, 2)))
    business = Restriction(frozenset({1, 2, 3, 4, 5}), time(9), time(17))
    day_layer = Layer(2, 10, Rotation((9,), datetime(2026, 1, 5), D, "UTC", (business,)))
    assert on_call_at([base, day_layer], [], [], utc(2026, 1, 5, 12)) == 9
    assert on_call_at([base, day_layer], [], [], utc(2026, 1, 5, 18)) == 1
    assert on_call_at([base, day_layer], [], [], utc(2026, 1, 10, 12)) == 2  # Saturday


def test_override_and_swap() -> None:
    layer = Layer(1, 0, daily((1, 2)))
    override = Override(5, utc(2026, 1, 5, 12), utc(2026, 1, 5, 14))
    swap = Swap(2, 3, utc(2026, 1, 6), utc(2026, 1, 8))
    result = final_shifts([layer], [override], [swap], utc(2026, 1, 5, 9), utc(2026, 1, 7, 9))
    assert [(s.user_id, s.start, s.end) for s in result.shifts] == [
        (1, utc(2026, 1, 5, 9), utc(2026, 1, 5, 12)),
        (5, utc(2026, 1, 5, 12), utc(2026, 1, 5, 14)),
        (1, utc(2026, 1, 5, 14), utc(2026, 1, 6, 9)),
        (3, utc(2026, 1, 6, 9), utc(2026, 1, 7, 9)),
    ]
    assert result.gaps == []


def test_inverted_and_overlapping_overrides_are_rejected() -> None:
    layer = Layer(1, 0, daily((1,)))
    with pytest.raises(ScheduleError, match=r"ends .* at or before it starts"):
        final_shifts(
            [layer],
            [Override(1, utc(2026, 1, 2), utc(2026, 1, 1))],
            [],
            utc(2026, 1, 1),
            utc(2026, 1, 3),
        )
    with pytest.raises(ScheduleError, match="overrides overlap"):
        final_shifts(
            [layer],
            [
                Override(1, utc(2026, 1, 1), utc(2026, 1, 2)),
                Override(2, utc(2026, 1, 1, 12), utc(2026, 1, 3)),
            ],
            [],
            utc(2026, 1, 1),
            utc(2026, 1, 3),
        )


def test_empty_schedule_is_one_gap() -> None:
    result = final_shifts([], [], [], utc(2026, 1, 1), utc(2026, 1, 2))
    assert result.shifts == [] and len(result.gaps) == 1


# --- properties ----------------------------------------------------------------------------

zones = st.sampled_from(
    [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Australia/Sydney",
        "Asia/Kolkata",
        "America/Sao_Paulo",
    ]
)
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
rotations = st.builds(
    Rotation,
    participants=st.lists(st.integers(1, 6), min_size=1, max_size=5).map(tuple),
    anchor=st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2026, 6, 1)),
    shift_length=st.sampled_from([D, 7 * D, 12 * H, 8 * H, 3 * D, timedelta(minutes=90)]),
    time_zone=zones,
)


@settings(max_examples=150, deadline=None)
@given(rotation=rotations, a=instants, span_hours=st.integers(1, 24 * 20))
def test_rotation_tiles_the_range_with_exactly_one_person(
    rotation: Rotation, a: datetime, span_hours: int
) -> None:
    b = a + timedelta(hours=span_hours)
    shifts = rotation.shifts(a, b)
    assert shifts[0].start == a and shifts[-1].end == b
    for prev, cur in itertools.pairwise(shifts):
        assert prev.end == cur.start  # no gap, no overlap
    result = final_shifts([Layer(1, 0, rotation)], [], [], a, b)
    assert result.gaps == []
    assert sum(((s.end - s.start) for s in result.shifts), timedelta()) == b - a


@settings(max_examples=150, deadline=None)
@given(
    rotation=rotations,
    a=instants,
    offsets=st.lists(st.integers(0, 10 * 24 * 60), min_size=1, max_size=6),
    o_start=st.integers(0, 5 * 24 * 60),
    o_len=st.integers(1, 3 * 24 * 60),
)
def test_overrides_win_everywhere_they_cover(
    rotation: Rotation, a: datetime, offsets: list[int], o_start: int, o_len: int
) -> None:
    override = Override(99, a + timedelta(minutes=o_start), a + timedelta(minutes=o_start + o_len))
    layers = [Layer(1, 0, rotation)]
    for minutes in offsets:
        t = a + timedelta(minutes=minutes)
        who = on_call_at(layers, [override], [], t)
        if override.start <= t < override.end:
            assert who == 99
        else:
            assert who in rotation.participants


@settings(max_examples=100, deadline=None)
@given(zone_name=zones, a=instants, hour=st.integers(0, 23))
def test_daily_hand_off_keeps_its_local_hour(zone_name: str, a: datetime, hour: int) -> None:
    rotation = Rotation((1, 2, 3), datetime(2025, 1, 1, hour), D, zone_name)
    zone = ZoneInfo(zone_name)
    for shift in rotation.shifts(a, a + 30 * D)[1:]:
        local = shift.start.astimezone(zone)
        # Only a hand-off inside a spring-forward gap may move (to the jump instant).
        if local.hour != hour:
            wall = datetime.combine(local.date(), time(hour))
            assert wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).hour != hour


# --- escalation ----------------------------------------------------------------------------


def test_freeze_expands_repeats_and_escalate_to() -> None:
    a = Policy(
        1,
        (Step("notify_users", (10,)), Step("wait", wait_minutes=5), Step("escalate_to", (2,))),
        repeat=1,
    )
    b = Policy(2, (Step("notify_team", (3,)),))
    chain = freeze(1, {1: a, 2: b})
    assert [s.kind for s in chain] == [
        "notify_users",
        "wait",
        "notify_users",
        "wait",
        "notify_team",
    ]


def test_cycles_between_policies_are_rejected() -> None:
    a = Policy(1, (Step("notify_users", (10,)), Step("escalate_to", (2,))))
    b = Policy(2, (Step("notify_users", (11,)), Step("escalate_to", (1,))))
    with pytest.raises(PolicyError, match="cycle: 1 → 2 → 1"):
        freeze(1, {1: a, 2: b})
    assert find_cycle({1: [1]}) == [1, 1]
    assert find_cycle({1: [2], 2: [3]}) is None


def test_step_validation() -> None:
    with pytest.raises(PolicyError, match="at least one step"):
        validate_steps([], 0)
    with pytest.raises(PolicyError, match="wait must be"):
        validate_steps([Step("wait", wait_minutes=0)], 0)
    with pytest.raises(PolicyError, match="exactly one target"):
        validate_steps([Step("notify_schedule", (1, 2))], 0)
    with pytest.raises(PolicyError, match="must be the last"):
        validate_steps([Step("escalate_to", (1,)), Step("notify_users", (1,))], 0)


def test_advance_waits_then_moves_on_and_stops_at_the_end() -> None:
    chain = (Step("notify_users", (1,)), Step("wait", wait_minutes=5), Step("notify_users", (2,)))
    t = utc(2026, 1, 1)
    assert advance(chain, 0, t).next_index == 1 and advance(chain, 0, t).due_at == t
    assert advance(chain, 1, t).due_at == t + timedelta(minutes=5)
    assert advance(chain, 2, t) == Advance(None, None)
    trailing = (*chain, Step("wait", wait_minutes=10))
    assert advance(trailing, 3, t) == Advance(None, t + timedelta(minutes=10))


def test_recipients_resolve_schedule_and_team() -> None:
    def on_call(schedule_id: int) -> list[int]:
        return [7]

    def members(team_id: int) -> list[int]:
        return [1, 2, 1]

    assert recipients(Step("notify_schedule", (4,)), on_call, members) == [7]
    assert recipients(Step("notify_team", (4,)), on_call, members) == [1, 2]
    assert recipients(Step("wait", wait_minutes=1), on_call, members) == []
    started = datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)
    assert page_key(1, 2, started, 3, 4) == "page:1:2.1767225600123:3:4"


@settings(max_examples=100, deadline=None)
@given(n_steps=st.integers(1, 6), repeat=st.integers(0, 5))
def test_frozen_chain_length_is_steps_times_rounds(n_steps: int, repeat: int) -> None:
    policy = Policy(1, tuple(Step("notify_users", (i + 1,)) for i in range(n_steps)), repeat)
    chain = freeze(1, {1: policy})
    assert len(chain) == n_steps * (repeat + 1)
    index: int | None = 0
    seen = 0
    while index is not None:
        seen += 1
        index = advance(chain, index, utc(2026, 1, 1)).next_index
    assert seen == len(chain)
