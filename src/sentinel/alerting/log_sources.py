"""Rule sources over the logs domain (its public count functions only): records matching
a query, records of one Drain pattern, and patterns that newly appeared."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.logs import counts
from sentinel.logs.query import LogQuery, QuerySyntaxError, parse_levels
from sentinel.logs.severity import LEVEL_NUMBER

MAX_QUERY_CHARS = 2000


def _bounds(params: dict[str, Any], now: datetime) -> tuple[int, int]:
    end_ns = int(now.timestamp() * 1e9)
    window = timedelta(seconds=float(params.get("window_s", 300)))
    return end_ns - int(window.total_seconds() * 1e9), end_ns


def _service(params: dict[str, Any]) -> str | None:
    service = params.get("service")
    return service if isinstance(service, str) and service else None


def _query(params: dict[str, Any]) -> LogQuery:
    service = _service(params)
    levels = params.get("levels")
    return counts.build_query(
        str(params.get("query", "")),
        [service] if service else [],
        levels if isinstance(levels, str) else None,
    )


async def log_count(session: AsyncSession, params: dict[str, Any], now: datetime) -> float:
    """Records matching `query` (search language), `service` and `levels` in the window.
    A count is always data: no matching record is 0, not "no data"."""
    start_ns, end_ns = _bounds(params, now)
    return float(await counts.count_matching(session, _query(params), start_ns, end_ns))


async def check_log_count(session: AsyncSession, params: dict[str, Any]) -> str | None:
    for name in ("query", "service", "levels"):
        if name in params and not isinstance(params[name], str):
            return f"params.{name} must be a string"
    if len(params.get("query", "")) > MAX_QUERY_CHARS:
        return f"params.query is longer than {MAX_QUERY_CHARS} characters"
    try:
        _query(params)
    except QuerySyntaxError as exc:
        return f"params.query (or levels) cannot be read: {exc}"
    return None


def _min_severity(params: dict[str, Any]) -> int:
    level = params.get("min_level")
    if not level:
        return 0
    return LEVEL_NUMBER[parse_levels(str(level))[0]]


async def log_pattern_count(session: AsyncSession, params: dict[str, Any], now: datetime) -> float:
    """With `pattern_id`: that pattern's records in the window. With `new_patterns`: how
    many patterns were first seen in the window (optionally at least `min_level`)."""
    start_ns, end_ns = _bounds(params, now)
    service = _service(params)
    if params.get("new_patterns"):
        found = await counts.new_pattern_count(
            session, start_ns, end_ns, service, _min_severity(params)
        )
    else:
        found = await counts.pattern_count(
            session, int(params["pattern_id"]), start_ns, end_ns, service
        )
    return float(found)


async def check_log_pattern_count(session: AsyncSession, params: dict[str, Any]) -> str | None:
    new, pattern_id = params.get("new_patterns"), params.get("pattern_id")
    if "service" in params and not isinstance(params["service"], str):
        return "params.service must be a string"
    if new not in (None, False, True):
        return "params.new_patterns must be true or false"
    if bool(new) == (pattern_id is not None):
        return 'give exactly one of params.pattern_id (a pattern id) or "new_patterns": true'
    if new:
        try:
            _min_severity(params)
        except (QuerySyntaxError, IndexError):
            return f"params.min_level {params.get('min_level')!r} is not a level"
        return None
    if isinstance(pattern_id, bool) or not isinstance(pattern_id, int):
        return "params.pattern_id must be an integer pattern id (see GET /api/logs/patterns)"
    if not await counts.pattern_exists(session, pattern_id):
        return f"no log pattern with id {pattern_id} (see GET /api/logs/patterns)"
    return None
