"""Minute buckets and hour rollups add up: sums over any minute range (hours + edge
minutes) equal a brute-force sum of the minutes, on both databases."""

from __future__ import annotations

import random

from sentinel.slo import store
from sentinel.slo.budget import EventTotals, slice_is_bad
from sentinel.slo.models import Slo
from sentinel.storage.engine import Database

START = 29_000_000  # an epoch minute (2025), aligned to nothing in particular


async def test_range_sums_match_brute_force(db: Database) -> None:
    rng = random.Random(8)
    minutes: dict[int, tuple[float, float]] = {}
    for _ in range(3000):
        m = START + rng.randrange(3 * 1440)
        total = float(rng.randrange(0, 50))
        minutes[m] = (float(rng.randrange(0, int(total) + 1)), total)
    async with db.transaction() as session:
        slo = Slo(name="sums", service="s", target=0.9, timeslice_target=0.8, window={})
        other = Slo(name="other", service="s", target=0.5, window={})
        session.add_all([slo, other])
        await session.flush()
        items = list(minutes.items())
        # Written in three overlapping batches, some minutes twice (they add up).
        for batch in (items[:1500], items[1000:], items[:200]):
            await store.lock_slo(session, slo.id)
            await store.apply_minutes(session, slo, dict(batch))
        await store.apply_minutes(session, other, {START + 5: (1.0, 1.0)})
    expected_minutes = dict(minutes)
    for m, (g, t) in items[1000:1500] + items[:200]:
        eg, et = expected_minutes[m]
        expected_minutes[m] = (eg + g, et + t)

    ranges = [
        (START, START + 3 * 1440),
        (START - 1440 + 17, START + 4 * 1440),  # longer than 4 days: a query of its own
        (START + 59, START + 61),
        (START + 7, START + 8),
    ]
    for _ in range(40):
        a = START + rng.randrange(3 * 1440)
        ranges.append((a, a + rng.randrange(1, 2 * 1440)))
    async with db.transaction() as session:
        found = await store.range_totals(session, [slo, other], ranges)

    for r, got in zip(ranges, found[slo.id], strict=True):
        inside = [v for m, v in expected_minutes.items() if r[0] <= m < r[1]]
        want = EventTotals(
            sum(g for g, _ in inside),
            sum(t for _, t in inside),
            sum(1 for g, t in inside if slice_is_bad(g, t, 0.8)),
            sum(1 for _, t in inside if t > 0),
        )
        assert got == want, r
    assert found[other.id][0] == EventTotals(1.0, 1.0, 0, 1)

    # A new slice target re-counts bad minutes in the rollups.
    async with db.transaction() as session:
        fresh = await session.get(Slo, slo.id)
        assert fresh is not None
        fresh.timeslice_target = 0.3
        await store.rebuild_hours(session, fresh)
        again = await store.range_totals(session, [fresh], ranges[:1])
    whole = list(expected_minutes.values())
    assert again[slo.id][0].bad_slices == sum(1 for g, t in whole if slice_is_bad(g, t, 0.3))
    assert again[slo.id][0].total == sum(t for _, t in whole)
