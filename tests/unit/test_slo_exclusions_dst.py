"""Recurring maintenance exclusions across daylight-saving changes follow the rotations'
rule: a local start time the clocks skip begins when the clocks jump (Berlin 02:30 on
2026-03-29 -> 03:00 CEST, 01:00 UTC; fold=0 alone read it as 03:30 CEST), and a start
time the clocks repeat begins at its first occurrence. The excluded length stays the
exclusion's duration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sentinel.slo.exclusions import Exclusion, merged_ranges, total_minutes

H = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("tz", "first", "day", "expected", "local_start"),
    [
        # Spring forward, Berlin: 02:00 CET -> 03:00 CEST at 01:00 UTC; 02:30 never shows.
        (
            "Europe/Berlin",
            utc(2026, 3, 20, 1, 30),  # 02:30 CET
            utc(2026, 3, 29),
            (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)),
            "2026-03-29T03:00:00+02:00",
        ),
        # Spring forward, New York: 02:00 EST -> 03:00 EDT at 07:00 UTC.
        (
            "America/New_York",
            utc(2026, 3, 1, 7, 30),  # 02:30 EST
            utc(2026, 3, 8),
            (utc(2026, 3, 8, 7), utc(2026, 3, 8, 8)),
            "2026-03-08T03:00:00-04:00",
        ),
        # Fall back, Berlin: 03:00 CEST -> 02:00 CET at 01:00 UTC; 02:30 shows twice and
        # the first one (CEST) is used.
        (
            "Europe/Berlin",
            utc(2026, 10, 20, 0, 30),  # 02:30 CEST
            utc(2026, 10, 25),
            (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)),
            "2026-10-25T02:30:00+02:00",
        ),
        # Fall back, New York: 02:00 EDT -> 01:00 EST at 06:00 UTC; 01:30 EDT is used.
        (
            "America/New_York",
            utc(2026, 10, 25, 5, 30),  # 01:30 EDT
            utc(2026, 11, 1),
            (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)),
            "2026-11-01T01:30:00-04:00",
        ),
    ],
)
def test_daily_exclusion_on_a_clock_change_day(
    tz: str,
    first: datetime,
    day: datetime,
    expected: tuple[datetime, datetime],
    local_start: str,
) -> None:
    daily = Exclusion(start=first, end=None, every="day", duration=H, tz=tz)
    ranges = merged_ranges([daily], day, day + 24 * H)
    assert ranges == [expected]
    assert total_minutes(ranges) == 60
    assert ranges[0][0].astimezone(ZoneInfo(tz)).isoformat() == local_start


def test_berlin_days_around_spring_forward() -> None:
    # 02:30 daily for an hour: 01:30 UTC in winter, the jump (01:00 UTC) on the change
    # day, 00:30 UTC in summer; three hours excluded, none twice.
    daily = Exclusion(
        start=utc(2026, 3, 20, 1, 30), end=None, every="day", duration=H, tz="Europe/Berlin"
    )
    ranges = merged_ranges([daily], utc(2026, 3, 28), utc(2026, 3, 31))
    assert ranges == [
        (utc(2026, 3, 28, 1, 30), utc(2026, 3, 28, 2, 30)),
        (utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 2, 0)),
        (utc(2026, 3, 30, 0, 30), utc(2026, 3, 30, 1, 30)),
    ]
    assert total_minutes(ranges) == 180


def test_weekly_exclusion_inside_the_skipped_hour_is_excluded_once() -> None:
    # Sundays 02:15-02:45 Berlin: on 2026-03-29 all of it is inside the skipped hour, so
    # it runs 30 minutes from the jump (03:00-03:30 CEST).
    weekly = Exclusion(
        start=utc(2026, 3, 22, 1, 15),  # Sunday 02:15 CET
        end=None,
        every="week",
        duration=timedelta(minutes=30),
        days=(6,),
        tz="Europe/Berlin",
    )
    ranges = merged_ranges([weekly], utc(2026, 3, 28), utc(2026, 3, 30))
    assert ranges == [(utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 30))]
    assert total_minutes(ranges) == 30


@pytest.mark.parametrize(
    ("first", "tz"),
    [
        # The second of Berlin's two 02:30s on 2026-10-25 (CET, 01:30 UTC): the rule for
        # later days would put that day's occurrence at the first one, before `start`.
        (utc(2026, 10, 25, 1, 30), "Europe/Berlin"),
        # A start with seconds: later days start on the minute, this one at `start`.
        (utc(2026, 5, 4, 1, 30, 15), "UTC"),
    ],
)
def test_the_first_occurrence_is_start_itself(first: datetime, tz: str) -> None:
    ex = Exclusion(start=first, end=None, every="day", duration=H, tz=tz)
    ranges = merged_ranges([ex], first - 2 * H, first + 3 * H)
    assert ranges
    assert ranges[0][0] == first.replace(second=0)
    assert total_minutes(ranges) == pytest.approx(60, abs=1)
