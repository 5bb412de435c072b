"""SLO queries. Never commits: the caller's transaction decides."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.slo.budget import EventTotals, slice_is_bad
from sentinel.slo.models import Slo, SloExclusion, SloHour, SloMinute
from sentinel.storage.dialect import dialect_name, upsert_insert

Range = tuple[int, int]  # [start, end) in epoch minutes
LONG_RANGE = 4 * 1440  # minutes: longer than the longest burn window (3d)


def slice_target(slo: Slo) -> float:
    return slo.timeslice_target if slo.timeslice_target is not None else slo.target


async def lock_slo(session: AsyncSession, slo_id: int) -> None:
    """Serialise writers of one SLO's buckets (read-modify-write of minutes and hours).

    PostgreSQL: a row lock. SQLite: a no-op UPDATE, which takes the database write lock
    before anything is read, so no other writer can slip in between read and write."""
    if dialect_name(session) == "postgresql":
        await session.execute(select(Slo.id).where(Slo.id == slo_id).with_for_update())
    else:
        await session.execute(update(Slo).where(Slo.id == slo_id).values(id=Slo.id))


async def apply_minutes(
    session: AsyncSession,
    slo: Slo,
    buckets: dict[int, tuple[float, float]],
    *,
    replace: bool = False,
) -> None:
    """Add (or, for fetched sources, replace) per-minute good/total and keep the hour
    rollups in step. Call `lock_slo` first."""
    if not buckets:
        return
    threshold = slice_target(slo)
    minutes = sorted(buckets)
    existing: dict[int, tuple[float, float]] = {}
    rows = await session.execute(
        select(SloMinute.minute, SloMinute.good, SloMinute.total).where(
            SloMinute.slo_id == slo.id,
            SloMinute.minute >= minutes[0],
            SloMinute.minute <= minutes[-1],
        )
    )
    for minute, good, total in rows:
        existing[minute] = (good, total)
    new_rows = []
    hour_delta: dict[int, list[float]] = {}
    for minute in minutes:
        good, total = buckets[minute]
        if replace and total <= 0 and good <= 0 and minute not in existing:
            continue  # an empty fetched minute needs no row
        old_good, old_total = existing.get(minute, (0.0, 0.0))
        if not replace:
            good, total = good + old_good, total + old_total
        new_rows.append({"slo_id": slo.id, "minute": minute, "good": good, "total": total})
        delta = hour_delta.setdefault(minute - minute % 60, [0.0, 0.0, 0, 0])
        delta[0] += good - old_good
        delta[1] += total - old_total
        delta[2] += int(slice_is_bad(good, total, threshold)) - int(
            slice_is_bad(old_good, old_total, threshold)
        )
        delta[3] += int(total > 0) - int(old_total > 0)
    if not new_rows:
        return
    insert = upsert_insert(session, SloMinute)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["slo_id", "minute"],
            set_={"good": insert.excluded.good, "total": insert.excluded.total},
        ),
        new_rows,
    )
    await _add_hours(session, slo.id, hour_delta)


async def _add_hours(session: AsyncSession, slo_id: int, deltas: dict[int, list[float]]) -> None:
    if not deltas:
        return
    table = SloHour.__table__
    insert = upsert_insert(session, SloHour)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["slo_id", "hour"],
            set_={
                "good": table.c.good + insert.excluded.good,
                "total": table.c.total + insert.excluded.total,
                "bad_slices": table.c.bad_slices + insert.excluded.bad_slices,
                "slices": table.c.slices + insert.excluded.slices,
            },
        ),
        [
            {
                "slo_id": slo_id,
                "hour": hour,
                "good": d[0],
                "total": d[1],
                "bad_slices": int(d[2]),
                "slices": int(d[3]),
            }
            for hour, d in deltas.items()
        ],
    )


async def rebuild_hours(session: AsyncSession, slo: Slo) -> None:
    """Recompute an SLO's hour rollups from its minutes (after its slice target changed)."""
    await session.execute(delete(SloHour).where(SloHour.slo_id == slo.id))
    threshold = slice_target(slo)
    hour = SloMinute.minute - SloMinute.minute % 60
    bad = case(
        (and_(SloMinute.total > 0, SloMinute.good < SloMinute.total * threshold), 1), else_=0
    )
    rows = await session.execute(
        select(
            hour,
            func.sum(SloMinute.good),
            func.sum(SloMinute.total),
            func.sum(bad),
            func.sum(case((SloMinute.total > 0, 1), else_=0)),
        )
        .where(SloMinute.slo_id == slo.id)
        .group_by(hour)
    )
    deltas = {int(h): [float(g), float(t), float(b), float(s)] for h, g, t, b, s in rows}
    await _add_hours(session, slo.id, deltas)


def _split(r: Range) -> tuple[Range | None, list[Range]]:
    """A minute range as whole hours plus the edge minutes around them."""
    start, end = r
    first_hour = -(-start // 60) * 60
    last_hour = end // 60 * 60
    if first_hour >= last_hour:
        return None, [r] if start < end else []
    edges = [e for e in ((start, first_hour), (last_hour, end)) if e[0] < e[1]]
    return (first_hour, last_hour), edges


async def range_totals(
    session: AsyncSession,
    slos: Sequence[Slo],
    ranges: Sequence[Range],
) -> dict[int, list[EventTotals]]:
    """Events of each SLO in each minute range, read from hour rollups and edge minutes.

    One query per tier, one column group per range, so a cycle over many SLOs costs a few
    statements, not one per SLO and window."""
    ids = [s.id for s in slos]
    result = {i: [EventTotals() for _ in ranges] for i in ids}
    if not ids or not ranges:
        return result
    hour_parts: list[tuple[int, Range]] = []
    minute_parts: list[tuple[int, Range]] = []
    for index, r in enumerate(ranges):
        hours, edges = _split(r)
        if hours:
            hour_parts.append((index, hours))
        minute_parts.extend((index, e) for e in edges)
    # Four columns per range: keep statements well under SQLite's 2,000-column limit.
    # A window-long range gets a query of its own, so the short burn windows' CASE
    # columns are not evaluated over a month of hour rows.
    long_parts = [p for p in hour_parts if p[1][1] - p[1][0] > LONG_RANGE]
    short_parts = [p for p in hour_parts if p[1][1] - p[1][0] <= LONG_RANGE]
    for group in [[p] for p in long_parts] + [
        short_parts[n : n + 100] for n in range(0, len(short_parts), 100)
    ]:
        await _accumulate(session, SloHour, SloHour.hour, ids, group, result, False)
    # Edge minutes lie in a few short stretches (now, and the far end of each window):
    # one query per stretch, so no query scans the days of minutes in between.
    for cluster in _clusters(minute_parts, gap=120):
        for n in range(0, len(cluster), 100):
            part = cluster[n : n + 100]
            await _accumulate(session, SloMinute, SloMinute.minute, ids, part, result, True)
    return result


async def _accumulate(
    session: AsyncSession,
    model: Any,
    key: Any,
    ids: list[int],
    parts: list[tuple[int, Range]],
    result: dict[int, list[EventTotals]],
    per_minute: bool,
) -> None:
    columns: list[Any] = []
    if per_minute:
        # Minute slices are judged against each SLO's slice target, as the hour rollups are.
        threshold = func.coalesce(Slo.timeslice_target, Slo.target)
        is_bad = and_(model.total > 0, model.good < model.total * threshold)
    for _, (a, b) in parts:
        inside = and_(key >= a, key < b)
        columns.append(func.sum(case((inside, model.good), else_=0)))
        columns.append(func.sum(case((inside, model.total), else_=0)))
        if per_minute:
            columns.append(func.sum(case((and_(inside, is_bad), 1), else_=0)))
            columns.append(func.sum(case((and_(inside, model.total > 0), 1), else_=0)))
        else:
            columns.append(func.sum(case((inside, model.bad_slices), else_=0)))
            columns.append(func.sum(case((inside, model.slices), else_=0)))
    low = min(a for _, (a, _b) in parts)
    high = max(b for _, (_a, b) in parts)
    where = [key >= low, key < high, or_(*[and_(key >= a, key < b) for _, (a, b) in parts])]
    for chunk in _chunks(ids, 900):
        stmt = select(model.slo_id, *columns).where(model.slo_id.in_(chunk), *where)
        if per_minute:
            stmt = stmt.join(Slo, Slo.id == model.slo_id)
        for row in await session.execute(stmt.group_by(model.slo_id)):
            slo_id, values = row[0], row[1:]
            totals = result[slo_id]
            for n, (index, _r) in enumerate(parts):
                g, t, bad, slices = values[4 * n : 4 * n + 4]
                if t or g or bad or slices:
                    part = EventTotals(
                        float(g or 0), float(t or 0), int(bad or 0), int(slices or 0)
                    )
                    totals[index] = totals[index] + part


def _clusters(parts: list[tuple[int, Range]], gap: int) -> list[list[tuple[int, Range]]]:
    """Group ranges whose spans lie within `gap` minutes of each other."""
    clusters: list[list[tuple[int, Range]]] = []
    end = None
    for item in sorted(parts, key=lambda p: p[1]):
        if end is None or item[1][0] - end > gap:
            clusters.append([])
            end = item[1][1]
        clusters[-1].append(item)
        end = max(end, item[1][1])
    return clusters


def _chunks(values: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


async def hour_rows(
    session: AsyncSession, slo_id: int, start_hour: int, end_hour: int
) -> list[tuple[int, EventTotals]]:
    """Hour rollups in [start_hour, end_hour), in time order (for burn-down series)."""
    rows = await session.execute(
        select(SloHour.hour, SloHour.good, SloHour.total, SloHour.bad_slices, SloHour.slices)
        .where(SloHour.slo_id == slo_id, SloHour.hour >= start_hour, SloHour.hour < end_hour)
        .order_by(SloHour.hour)
    )
    return [(h, EventTotals(g, t, b, s)) for h, g, t, b, s in rows]


async def exclusions_for(
    session: AsyncSession, slo_ids: Sequence[int]
) -> dict[int, list[SloExclusion]]:
    found: dict[int, list[SloExclusion]] = {}
    for chunk in _chunks(list(slo_ids), 900):
        rows = await session.scalars(select(SloExclusion).where(SloExclusion.slo_id.in_(chunk)))
        for ex in rows:
            found.setdefault(ex.slo_id, []).append(ex)
    return found


async def analyze(session: AsyncSession) -> None:
    """Refresh planner statistics after bulk loads (benchmarks, imports)."""
    if dialect_name(session) == "sqlite":
        await session.execute(text("ANALYZE"))
