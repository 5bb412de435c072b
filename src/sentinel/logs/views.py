"""The read views: patterns, anomalies, error groups, statistics, a trace's logs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.logs import anomaly, trace_refs
from sentinel.logs.derive import MINUTE_NS
from sentinel.logs.models import LogPattern, LogPatternMinute, LogRecord
from sentinel.logs.severity import ERROR_NUMBER, level_of

MAX_BUCKETS = 1_000


async def pattern_volumes(
    session: AsyncSession, pattern_ids: list[int], since_minute: int
) -> dict[int, dict[int, int]]:
    if not pattern_ids:
        return {}
    stmt = (
        select(
            LogPatternMinute.pattern_id, LogPatternMinute.minute, func.sum(LogPatternMinute.count)
        )
        .where(
            LogPatternMinute.pattern_id.in_(pattern_ids), LogPatternMinute.minute >= since_minute
        )
        .group_by(LogPatternMinute.pattern_id, LogPatternMinute.minute)
    )
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for pid, minute, count in (await session.execute(stmt)).all():
        out[pid][minute] = int(count)
    return out


async def anomalies(
    session: AsyncSession, end_ns: int, window_minutes: int, baseline_minutes: int
) -> tuple[anomaly.Window, list[anomaly.Anomaly]]:
    """Volume spikes, new patterns and error-rate spikes in the window ending at end_ns."""
    end = end_ns // MINUTE_NS + 1  # the current, still filling, minute is included
    window = anomaly.Window(end - window_minutes, end, end - window_minutes - baseline_minutes)
    stmt = select(
        LogPatternMinute.minute,
        LogPatternMinute.pattern_id,
        LogPatternMinute.service,
        LogPatternMinute.count,
        LogPatternMinute.error_count,
    ).where(LogPatternMinute.minute >= window.baseline_start, LogPatternMinute.minute < window.end)
    by_pattern: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    errors: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    window_counts: dict[int, int] = defaultdict(int)
    for minute, pid, service, count, error_count in (await session.execute(stmt)).all():
        by_pattern[pid][minute] += count
        totals[service][minute] += count
        errors[service][minute] += error_count
        if minute >= window.start:
            window_counts[pid] += count
    patterns = (
        await session.execute(
            select(
                LogPattern.id, LogPattern.template, LogPattern.first_seen_ns, LogPattern.error_count
            ).where(LogPattern.id.in_(list(by_pattern)))
        )
    ).all()
    labels = {p.id: p.template for p in patterns}
    first_seen = {p.id: p.first_seen_ns // MINUTE_NS for p in patterns}
    error_keys = {p.id for p in patterns if p.error_count}
    found = (
        anomaly.volume_spikes(by_pattern, window, labels)
        + anomaly.new_patterns(first_seen, window_counts, window, labels, error_keys)
        + anomaly.error_rate_spikes(totals, errors, window)
    )
    return window, anomaly.rank(found)


def _exception_type(postgres: bool) -> Any:
    if postgres:
        return literal_column("(log_records.attributes::jsonb ->> 'exception.type')")
    return literal_column("json_extract(log_records.attributes, '$.\"exception.type\"')")


async def error_groups(
    session: AsyncSession,
    postgres: bool,
    start_ns: int,
    end_ns: int,
    services: list[str],
    limit: int,
) -> list[dict[str, Any]]:
    """ERROR/FATAL lines grouped by exception type (when the line names one) or else by
    pattern, busiest first."""
    exc = _exception_type(postgres)
    stmt = (
        select(
            exc.label("exc"),
            LogRecord.pattern_id,
            LogRecord.service,
            func.count(),
            func.min(LogRecord.time_ns),
            func.max(LogRecord.time_ns),
            func.max(LogRecord.id),
        )
        .where(
            LogRecord.severity_number >= ERROR_NUMBER,
            LogRecord.time_ns >= start_ns,
            LogRecord.time_ns < end_ns,
        )
        .group_by(text("1"), LogRecord.pattern_id, LogRecord.service)
    )
    if services:
        stmt = stmt.where(LogRecord.service.in_(services))
    groups: dict[str, dict[str, Any]] = {}
    for exc_type, pid, service, count, first, last, newest in (await session.execute(stmt)).all():
        key = f"exception:{exc_type}" if exc_type else (f"pattern:{pid}" if pid else "unmined")
        group = groups.get(key)
        if group is None:
            group = groups[key] = {
                "group": key,
                "exception_type": exc_type or None,
                "pattern_id": pid,
                "count": 0,
                "first_ns": first,
                "last_ns": last,
                "services": [],
                "newest_id": newest,
            }
        group["count"] += count
        group["first_ns"] = min(group["first_ns"], first)
        group["last_ns"] = max(group["last_ns"], last)
        group["newest_id"] = max(group["newest_id"], newest)
        if pid and group["pattern_id"] is None:
            group["pattern_id"] = pid
        if service not in group["services"]:
            group["services"].append(service)
    ranked = sorted(groups.values(), key=lambda g: (-g["count"], -g["last_ns"]))[:limit]
    samples = {
        r.id: r
        for r in (
            await session.execute(
                select(LogRecord).where(LogRecord.id.in_([g["newest_id"] for g in ranked]))
            )
        ).scalars()
    }
    templates = dict(
        (
            await session.execute(
                select(LogPattern.id, LogPattern.template).where(
                    LogPattern.id.in_([g["pattern_id"] for g in ranked if g["pattern_id"]])
                )
            )
        ).all()
    )
    for g in ranked:
        g["sample"] = samples.get(g["newest_id"])
        g["template"] = templates.get(g["pattern_id"])
    return ranked


async def statistics(
    session: AsyncSession,
    start_ns: int,
    end_ns: int,
    step_ns: int,
    services: list[str],
    conditions: Sequence[Any] = (),
    params: dict[str, Any] | None = None,
    trace: trace_refs.TraceLines | None = None,
) -> list[tuple[int, str, str, int]]:
    """(bucket start ns, service, level, count) rows; `conditions` (a search's filters,
    with their bound `params`, and `trace` if they hold its ranges) narrow the records
    counted."""
    bucket = (LogRecord.time_ns - start_ns) // step_ns
    stmt = (
        select(
            bucket.label("bucket"),
            LogRecord.service,
            LogRecord.severity_text,
            func.count(),
        )
        .where(LogRecord.time_ns >= start_ns, LogRecord.time_ns < end_ns)
        .group_by(text("1"), LogRecord.service, LogRecord.severity_text)
    )
    if services:
        stmt = stmt.where(LogRecord.service.in_(services))
    for condition in conditions:
        stmt = stmt.where(condition)
    stmt = trace_refs.seek_by_id(stmt, trace)
    return [
        (start_ns + int(b) * step_ns, service, level, int(count))
        for b, service, level, count in (await session.execute(stmt, params or {})).all()
    ]


async def trace_logs(session: AsyncSession, trace_id: str, limit: int) -> list[LogRecord]:
    """The trace's lines in time order, found through log_trace_refs (trace_refs.py)."""
    lines = await trace_refs.lookup(session, trace_id)
    stmt = (
        select(LogRecord)
        .where(lines.condition())
        .order_by(LogRecord.time_ns, LogRecord.id)
        .limit(limit)
    )
    stmt = trace_refs.seek_by_id(stmt, lines)
    return list((await session.execute(stmt)).scalars().all())


async def known_services(session: AsyncSession, since_minute: int) -> set[str]:
    """Services in the pattern rollups and among the newest records."""
    rolled = await session.execute(
        select(LogPatternMinute.service).where(LogPatternMinute.minute >= since_minute).distinct()
    )
    recent = await session.execute(
        text(
            "SELECT DISTINCT service FROM "
            "(SELECT service FROM log_records ORDER BY id DESC LIMIT 20000) AS newest"
        )
    )
    return {s for (s,) in rolled.all()} | {s for (s,) in recent.all()}


def pattern_services(raw: str) -> list[str]:
    value = orjson.loads(raw)
    return [str(s) for s in value] if isinstance(value, list) else []


def level_name(number: int) -> str:
    return level_of(number)


async def pattern_summaries(
    session: AsyncSession, pattern_ids: list[int]
) -> dict[int, tuple[str, list[str]]]:
    """Template and services of each pattern (for other domains, e.g. incidents)."""
    if not pattern_ids:
        return {}
    stmt = select(LogPattern.id, LogPattern.template, LogPattern.services).where(
        LogPattern.id.in_(pattern_ids)
    )
    return {pid: (t, pattern_services(s)) for pid, t, s in (await session.execute(stmt)).all()}
