"""Counts over the log store for other domains (alert rules): records matching a query in
[start, end), records of one pattern, patterns first seen in a window.

The query is the search language of query.py (terms, "phrases", -exclusions,
field:value, level:, service:); it is read, never interpreted as natural language, so a
rule means the same thing every time it is evaluated. Pattern ids are set by the derive
worker a moment after ingest: a record not yet mined is not yet counted by pattern.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.logs import search, trace_refs
from sentinel.logs.derive import CURSOR, MINUTE_NS
from sentinel.logs.models import LogDeriveCursor, LogPattern, LogPatternMinute, LogRecord
from sentinel.logs.query import LogQuery, parse, parse_levels
from sentinel.storage.dialect import dialect_name


def build_query(text: str, services: Sequence[str] = (), levels: str | None = None) -> LogQuery:
    """The structured query of `text` plus explicit services and levels (ANDed on top, as
    the search endpoint does). Raises QuerySyntaxError for a query that cannot be read."""
    query = parse(text)
    for service in services:
        if service not in query.services:
            query.services.append(service)
    if levels:
        explicit = parse_levels(levels)
        query.levels = [lv for lv in query.levels if lv in explicit] or explicit
    return query


async def _indexed_through(session: AsyncSession) -> int:
    last = await session.scalar(
        select(LogDeriveCursor.last_id).where(LogDeriveCursor.name == CURSOR)
    )
    return int(last or 0)


async def count_matching(session: AsyncSession, query: LogQuery, start_ns: int, end_ns: int) -> int:
    """Records matching `query` with start_ns <= time < end_ns (the query's own time
    bounds, if any, narrow the window further)."""
    query.start_ns = max(query.start_ns or start_ns, start_ns)
    query.end_ns = min(query.end_ns or end_ns, end_ns)
    postgres = dialect_name(session) == "postgresql"
    indexed = 0 if postgres else await _indexed_through(session)
    stmt = select(func.count()).select_from(LogRecord)
    trace = await trace_refs.for_trace(session, query.trace_id)
    for condition in search.filters(query, postgres, indexed, trace):
        stmt = stmt.where(condition)
    stmt = trace_refs.seek_by_id(stmt, trace)
    expression = None if postgres else search.fts5_expression(query)
    params = {"fts": expression} if expression else {}
    return int((await session.execute(stmt, params)).scalar_one())


async def pattern_exists(session: AsyncSession, pattern_id: int) -> bool:
    found = await session.scalar(select(LogPattern.id).where(LogPattern.id == pattern_id))
    return found is not None


async def pattern_count(
    session: AsyncSession, pattern_id: int, start_ns: int, end_ns: int, service: str | None = None
) -> int:
    """Records of one pattern with start_ns <= time < end_ns (optionally of one service)."""
    stmt = (
        select(func.count())
        .select_from(LogRecord)
        .where(
            LogRecord.pattern_id == pattern_id,
            LogRecord.time_ns >= start_ns,
            LogRecord.time_ns < end_ns,
        )
    )
    if service:
        stmt = stmt.where(LogRecord.service == service)
    return int((await session.execute(stmt)).scalar_one())


async def new_pattern_count(
    session: AsyncSession,
    start_ns: int,
    end_ns: int,
    service: str | None = None,
    min_severity: int = 0,
) -> int:
    """Patterns first seen with start_ns <= first seen < end_ns; with `service`, only
    those that service logged in the window; with `min_severity`, only patterns whose
    worst record is at least that severity (17: error patterns)."""
    stmt = (
        select(func.count())
        .select_from(LogPattern)
        .where(LogPattern.first_seen_ns >= start_ns, LogPattern.first_seen_ns < end_ns)
    )
    if min_severity:
        stmt = stmt.where(LogPattern.max_severity >= min_severity)
    if service:
        stmt = stmt.where(
            exists().where(
                LogPatternMinute.pattern_id == LogPattern.id,
                LogPatternMinute.service == service,
                LogPatternMinute.minute >= start_ns // MINUTE_NS,
                LogPatternMinute.minute <= end_ns // MINUTE_NS,
            )
        )
    return int((await session.execute(stmt)).scalar_one())
