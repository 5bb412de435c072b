"""Span counts per minute for service level indicators (the SLO domain reads spans only
through here, so the span store can change shape behind it)."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.tracing.models import Span
from sentinel.tracing.rollup import NS_PER_MINUTE


async def good_total_by_minute(
    session: AsyncSession,
    service: str,
    operation: str | None,
    minutes: tuple[int, int],
    threshold_ns: int | None,
) -> dict[int, tuple[float, float]]:
    """(good, total) spans per epoch minute in [from, to) of a service (and operation).

    Good means not an error, or with `threshold_ns`, at most that long. Read from the
    spans (deduplicated by trace and span id) through the (service, [name,] start) index,
    not from the rollups, so re-sent spans count once and thresholds are exact."""
    if threshold_ns is None:
        good = case((Span.is_error.is_(False), 1), else_=0)
    else:
        good = case((Span.duration_ns <= threshold_ns, 1), else_=0)
    minute = Span.start_ns // NS_PER_MINUTE
    stmt = select(minute, func.sum(good), func.count()).where(
        Span.service == service,
        Span.start_ns >= minutes[0] * NS_PER_MINUTE,
        Span.start_ns < minutes[1] * NS_PER_MINUTE,
    )
    if operation:
        stmt = stmt.where(Span.name == operation)
    rows = await session.execute(stmt.group_by(minute))
    return {int(m): (float(g or 0), float(t or 0)) for m, g, t in rows}
