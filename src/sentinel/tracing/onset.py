"""When a service started failing or slowing, to the span: a public read function for
other domains (root-cause suggestions), so they need not read the span tables.

The moment of a failing span is when it *ended*: an error happens in the deepest callee
first and reaches each caller as its call returns, so a callee's failing span ends
before its callers' do, although the callers' spans started earlier.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.tracing.models import Span


@dataclass(frozen=True)
class SpanOnset:
    service: str
    ended_ns: int
    trace_id: str
    span_id: str
    operation: str


async def first_failing_span(
    session: AsyncSession,
    service: str,
    start_ns: int,
    end_ns: int,
    *,
    min_duration_ns: int | None = None,
) -> SpanOnset | None:
    """The span of `service` that started in [start_ns, end_ns) and ended first among
    those that failed (status error) — or, with `min_duration_ns`, among those at least
    that slow."""
    ended = (Span.start_ns + Span.duration_ns).label("ended")
    stmt = select(ended, Span.trace_id, Span.span_id, Span.name).where(
        Span.service == service, Span.start_ns >= start_ns, Span.start_ns < end_ns
    )
    if min_duration_ns is None:
        stmt = stmt.where(Span.is_error.is_(True))
    else:
        stmt = stmt.where(Span.duration_ns >= min_duration_ns)
    row = (await session.execute(stmt.order_by(ended, Span.id).limit(1))).first()
    if row is None:
        return None
    return SpanOnset(service, int(row.ended), row.trace_id, row.span_id, row.name)
