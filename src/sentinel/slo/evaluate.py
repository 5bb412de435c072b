"""Status of many SLOs at once: window totals, exclusions, budgets, burn rates, alert
conditions. Reads buckets; writes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.slo import store
from sentinel.slo.budget import ErrorBudget, EventTotals, burn_rate, error_budget
from sentinel.slo.burn import BurnSample, ConditionState, evaluate_policy, policy_windows
from sentinel.slo.exclusions import Exclusion, merged_ranges
from sentinel.slo.models import Slo, SloExclusion
from sentinel.slo.spec import AlertingSpec, alerting_from_json, window_from_json
from sentinel.slo.windows import SloWindow, floor_minute, window_at

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Range = tuple[int, int]


def to_minute(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds() // 60)


def from_minute(minute: int) -> datetime:
    return EPOCH + timedelta(minutes=minute)


def exclusion_of(row: SloExclusion) -> Exclusion:
    return Exclusion(
        start=row.start,
        end=row.end,
        every=row.every,
        duration=timedelta(seconds=row.duration_seconds) if row.duration_seconds else None,
        days=tuple(row.days or ()),
        tz=row.tz,
    )


def _intersect(a: Range, b: Range) -> Range | None:
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return (lo, hi) if lo < hi else None


@dataclass(frozen=True)
class NetRange:
    """Events and minutes of a range once excluded (maintenance) minutes are taken out."""

    events: EventTotals
    minutes: float
    excluded_minutes: float


class ExcludedMinutes:
    """An SLO's maintenance exclusions as merged minute ranges over a span of interest."""

    def __init__(self, rows: Sequence[SloExclusion], hull: Range) -> None:
        merged = merged_ranges(
            [exclusion_of(r) for r in rows], from_minute(hull[0]), from_minute(hull[1])
        )
        self.ranges = [(to_minute(a), to_minute(b)) for a, b in merged]

    def within(self, r: Range) -> list[Range]:
        return [p for x in self.ranges if (p := _intersect(x, r))]

    def minutes(self, r: Range) -> float:
        return float(sum(b - a for a, b in self.within(r)))


async def net_ranges(
    session: AsyncSession,
    slos: Sequence[Slo],
    ranges: dict[int, list[Range]],
) -> dict[int, list[NetRange]]:
    """Events in each SLO's ranges with its exclusions taken out. SLOs asking for the
    same ranges share one query; only SLOs with exclusions cost extra queries."""
    groups: dict[tuple[Range, ...], list[Slo]] = {}
    for s in slos:
        groups.setdefault(tuple(ranges[s.id]), []).append(s)
    raw: dict[int, list[EventTotals]] = {}
    for key, group in groups.items():
        raw.update(await store.range_totals(session, group, list(key)))
    exclusion_rows = await store.exclusions_for(session, [s.id for s in slos])
    result: dict[int, list[NetRange]] = {}
    for s in slos:
        wanted = ranges[s.id]
        rows = exclusion_rows.get(s.id)
        if not rows or not wanted:
            result[s.id] = [
                NetRange(e, float(b - a), 0.0) for e, (a, b) in zip(raw[s.id], wanted, strict=True)
            ]
            continue
        excluded = ExcludedMinutes(rows, (min(a for a, _ in wanted), max(b for _, b in wanted)))
        parts = [excluded.within(r) for r in wanted]
        flat = [p for ps in parts for p in ps]
        found = (await store.range_totals(session, [s], flat))[s.id] if flat else []
        net, offset = [], 0
        for events, r, ps in zip(raw[s.id], wanted, parts, strict=True):
            taken = sum(found[offset : offset + len(ps)], EventTotals())
            offset += len(ps)
            gone = float(sum(b - a for a, b in ps))
            net.append(NetRange(events - taken, float(r[1] - r[0]) - gone, gone))
        result[s.id] = net
    return result


@dataclass(frozen=True)
class SloStatus:
    slo_id: int
    now: datetime
    window: SloWindow
    window_start: datetime
    window_end: datetime
    window_minutes: float  # the whole window, after excluded minutes
    totals: EventTotals  # events counted in the window so far (after exclusions)
    excluded_minutes: float
    budget: ErrorBudget
    burn: dict[timedelta, BurnSample]
    conditions: list[ConditionState]
    alerting: AlertingSpec

    @property
    def burning(self) -> list[ConditionState]:
        return [c for c in self.conditions if c.firing]

    @property
    def meets_target(self) -> bool:
        return self.budget.remaining_ratio >= 0


async def compute_statuses(
    session: AsyncSession, slos: Sequence[Slo], now: datetime
) -> dict[int, SloStatus]:
    """The live status of every SLO in `slos` at `now` (a handful of queries in all)."""
    # Data runs through the current minute, so a measurement shows up as soon as it lands.
    now = floor_minute(now) + timedelta(minutes=1)
    now_m = to_minute(now)
    specs = {s.id: (window_from_json(s.window), alerting_from_json(s.alerting)) for s in slos}
    windows = sorted({w for _, a in specs.values() for w in policy_windows(a.conditions)})
    burn_ranges = [(now_m - int(w.total_seconds() // 60), now_m) for w in windows]
    ranges: dict[int, list[Range]] = {}
    bounds: dict[int, tuple[datetime, datetime]] = {}
    for s in slos:
        start, end = window_at(specs[s.id][0], now)
        bounds[s.id] = (start, end)
        ranges[s.id] = [(to_minute(start), min(to_minute(end), now_m)), *burn_ranges]
    net = await net_ranges(session, slos, ranges)
    exclusion_rows = await store.exclusions_for(session, [s.id for s in slos])
    statuses = {}
    for s in slos:
        window, alerting = specs[s.id]
        start, end = bounds[s.id]
        full = (to_minute(start), to_minute(end))
        future_excluded = 0.0
        if s.id in exclusion_rows and end > now:
            future_excluded = ExcludedMinutes(exclusion_rows[s.id], (now_m, full[1])).minutes(
                (now_m, full[1])
            )
        elapsed, *burns = net[s.id]
        window_minutes = (full[1] - full[0]) - elapsed.excluded_minutes - future_excluded
        budget = error_budget(
            s.target, s.budgeting, elapsed.events, window_minutes, elapsed.minutes
        )
        burn = {
            w: BurnSample(burn_rate(s.target, s.budgeting, b.events, b.minutes), b.events.total)
            for w, b in zip(windows, burns, strict=True)
        }
        conditions = evaluate_policy(
            alerting.conditions, window.nominal_length, burn, alerting.min_events
        )
        statuses[s.id] = SloStatus(
            slo_id=s.id,
            now=now,
            window=window,
            window_start=start,
            window_end=end,
            window_minutes=window_minutes,
            totals=elapsed.events,
            excluded_minutes=elapsed.excluded_minutes + future_excluded,
            budget=budget,
            burn=burn,
            conditions=conditions,
            alerting=alerting,
        )
    return statuses


@dataclass(frozen=True)
class WindowBurn:
    """The burn rate of one SLO over the last `window` (exclusions taken out)."""

    rate: float
    events: float  # total events in the window (occurrences) or minutes with events


async def burn_over(
    session: AsyncSession, slo_id: int, window: timedelta, now: datetime
) -> WindowBurn | None:
    """How fast SLO `slo_id` burned its error budget over the `window` before `now`
    (1.0 spends exactly the budget over the SLO window), through the current minute as the
    status does. None when the SLO does not exist or had no events in the window."""
    slo = await session.get(Slo, slo_id)
    if slo is None:
        return None
    end = to_minute(floor_minute(now) + timedelta(minutes=1))
    minutes = max(1, -(-int(window.total_seconds()) // 60))
    [net] = (await net_ranges(session, [slo], {slo.id: [(end - minutes, end)]}))[slo.id]
    if net.events.total <= 0:
        return None
    rate = burn_rate(slo.target, slo.budgeting, net.events, net.minutes)
    return WindowBurn(rate, net.events.total)


async def slo_name(session: AsyncSession, slo_id: int) -> str | None:
    """The name of SLO `slo_id`, or None when there is no such SLO."""
    slo = await session.get(Slo, slo_id)
    return None if slo is None else slo.name
