"""Violations and the compliance report (JSON and Markdown) per SLO and service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.slo.budget import error_budget
from sentinel.slo.evaluate import compute_statuses, net_ranges, to_minute
from sentinel.slo.models import Slo
from sentinel.slo.windows import floor_minute, format_duration

CHUNK = 500


class ViolationOut(BaseModel):
    slo_id: int
    name: str
    service: str
    target: float
    sli: float | None
    remaining_ratio: float
    out_of_target: bool
    burning: list[str]  # condition keys firing now
    burn_rates: dict[str, float]
    reasons: list[str]


async def violations(
    session: AsyncSession,
    now: datetime,
    service: str | None = None,
    limit: int = 100,
    after_id: int | None = None,
) -> tuple[list[ViolationOut], int | None]:
    """SLOs out of target in their window, or burning above a condition's threshold, in id
    order after `after_id`; returns up to `limit` and the id to continue after (or None)."""
    found: list[ViolationOut] = []
    last_seen = after_id
    while True:
        stmt = select(Slo).order_by(Slo.id).limit(CHUNK)
        if service:
            stmt = stmt.where(Slo.service == service)
        if last_seen is not None:
            stmt = stmt.where(Slo.id > last_seen)
        chunk = list(await session.scalars(stmt))
        if not chunk:
            return found, None
        statuses = await compute_statuses(session, chunk, now)
        for s in chunk:
            last_seen = s.id
            st = statuses[s.id]
            burning = [c.condition.key for c in st.burning]
            if st.meets_target and not burning:
                continue
            reasons = []
            if not st.meets_target:
                reasons.append(
                    f"error budget overspent by {-st.budget.remaining_ratio:.1%} "
                    f"(SLI {st.budget.sli} < target {s.target})"
                )
            reasons += [
                f"{c.condition.key}: burn {c.long_rate:.2f}/{c.short_rate:.2f} ≥ {c.threshold:.2f}"
                for c in st.burning
            ]
            found.append(
                ViolationOut(
                    slo_id=s.id,
                    name=s.name,
                    service=s.service,
                    target=s.target,
                    sli=st.budget.sli,
                    remaining_ratio=st.budget.remaining_ratio,
                    out_of_target=not st.meets_target,
                    burning=burning,
                    burn_rates={format_duration(w): b.rate for w, b in st.burn.items()},
                    reasons=reasons,
                )
            )
            if len(found) == limit:
                return found, s.id


class SloReportLine(BaseModel):
    slo_id: int
    name: str
    service: str
    target: float
    budgeting: str
    sli: float | None
    met: bool
    good: float
    total: float
    bad: float
    bad_minutes: int
    excluded_minutes: float
    budget_consumed_ratio: float
    budget_remaining_ratio: float


class ServiceReportLine(BaseModel):
    service: str
    slos: int
    met: int
    compliance: float  # share of its SLOs that met their target
    worst_sli: float | None


class ReportOut(BaseModel):
    start: datetime
    end: datetime
    slos: list[SloReportLine]
    services: list[ServiceReportLine]
    compliance: float | None


async def report(
    session: AsyncSession, start: datetime, end: datetime, service: str | None
) -> ReportOut:
    """Compliance of each SLO over [start, end) (exclusions left out), grouped by service."""
    start, end = floor_minute(start), floor_minute(end)
    stmt = select(Slo).order_by(Slo.service, Slo.name)
    if service:
        stmt = stmt.where(Slo.service == service)
    slos = list(await session.scalars(stmt))
    period = (to_minute(start), to_minute(end))
    lines = []
    for i in range(0, len(slos), CHUNK):
        chunk = slos[i : i + CHUNK]
        net = await net_ranges(session, chunk, {s.id: [period] for s in chunk})
        for s in chunk:
            part = net[s.id][0]
            b = error_budget(s.target, s.budgeting, part.events, part.minutes, part.minutes)
            lines.append(
                SloReportLine(
                    slo_id=s.id,
                    name=s.name,
                    service=s.service,
                    target=s.target,
                    budgeting=s.budgeting,
                    sli=b.sli,
                    met=b.remaining_ratio >= 0,
                    good=part.events.good,
                    total=part.events.total,
                    bad=part.events.bad,
                    bad_minutes=part.events.bad_slices,
                    excluded_minutes=part.excluded_minutes,
                    budget_consumed_ratio=b.consumed_ratio,
                    budget_remaining_ratio=b.remaining_ratio,
                )
            )
    services = _by_service(lines)
    overall = sum(1 for x in lines if x.met) / len(lines) if lines else None
    return ReportOut(start=start, end=end, slos=lines, services=services, compliance=overall)


def _by_service(lines: Sequence[SloReportLine]) -> list[ServiceReportLine]:
    grouped: dict[str, list[SloReportLine]] = {}
    for line in lines:
        grouped.setdefault(line.service, []).append(line)
    out = []
    for name, items in sorted(grouped.items()):
        slis = [x.sli for x in items if x.sli is not None]
        met = sum(1 for x in items if x.met)
        out.append(
            ServiceReportLine(
                service=name,
                slos=len(items),
                met=met,
                compliance=met / len(items),
                worst_sli=min(slis) if slis else None,
            )
        )
    return out


def _pct(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def to_markdown(r: ReportOut) -> str:
    lines = [
        f"# SLO compliance report: {r.start.isoformat()} to {r.end.isoformat()}",
        "",
        f"Overall: {_pct(r.compliance, 1)} of SLOs met their target.",
        "",
        "## By service",
        "",
        "| Service | SLOs | Met | Compliance | Worst SLI |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {s.service} | {s.slos} | {s.met} | {_pct(s.compliance, 1)} | {_pct(s.worst_sli)} |"
        for s in r.services
    ]
    lines += [
        "",
        "## By SLO",
        "",
        "| SLO | Service | Target | SLI | Met | Budget consumed | Good / total |",
        "|---|---|---:|---:|:---:|---:|---:|",
    ]
    lines += [
        f"| {x.name} | {x.service} | {_pct(x.target)} | {_pct(x.sli)} | "
        f"{'yes' if x.met else '**no**'} | {_pct(x.budget_consumed_ratio, 1)} | "
        f"{x.good:g} / {x.total:g} |"
        for x in r.slos
    ]
    return "\n".join(lines) + "\n"
