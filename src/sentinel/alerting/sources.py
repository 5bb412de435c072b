"""Where a rule's value comes from: a small pluggable interface.

A source measures one number over a window (or None when there is no data), and may
check a rule's params when the rule is saved (a message for a 400, or None when fine).
Sources over alerting's own data are defined here; those over other domains live in
tracing_sources, log_sources and slo_sources and call only those domains' public
functions. `register()` lets another domain plug in a source of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import log_sources, slo_sources, tracing_sources
from sentinel.alerting.matchers import Matcher, matches_all, parse_matchers
from sentinel.alerting.models import Alert, AlertOccurrence
from sentinel.alerting.pipeline import match_labels
from sentinel.alerting.severity import OPEN_STATUSES

Measure = Callable[[AsyncSession, dict[str, Any], datetime], Awaitable[float | None]]
Check = Callable[[AsyncSession, dict[str, Any]], Awaitable[str | None]]


@dataclass(frozen=True)
class RuleSource:
    name: str
    description: str
    measure: Measure | None  # None: reserved, not wired yet
    check: Check | None = None  # validates params when a rule is saved


_SOURCES: dict[str, RuleSource] = {}

# Names promised to a domain that has not plugged its source in yet (none today).
RESERVED: dict[str, str] = {}


def register(name: str, description: str, measure: Measure, check: Check | None = None) -> None:
    """Plug in a source (called by the domain that owns the data)."""
    _SOURCES[name] = RuleSource(name, description, measure, check)


def get(name: str) -> RuleSource | None:
    found = _SOURCES.get(name) or _BUILTIN.get(name)
    if found is None and name in RESERVED:
        return RuleSource(name, RESERVED[name], None)
    return found


def available() -> list[RuleSource]:
    wired = list({**_BUILTIN, **_SOURCES}.values())
    reserved = [RuleSource(n, d, None) for n, d in RESERVED.items() if n not in _SOURCES]
    return sorted(wired + reserved, key=lambda s: s.name)


def _matchers(params: dict[str, Any]) -> list[Matcher]:
    return [m for text in params.get("matchers", []) for m in parse_matchers(text)]


def _window(params: dict[str, Any]) -> timedelta:
    return timedelta(seconds=float(params.get("window_s", 300)))


async def _alert_count(session: AsyncSession, params: dict[str, Any], now: datetime) -> float:
    """Alert occurrences that started in the window, among alerts matching `matchers`."""
    matchers = _matchers(params)
    rows = await session.execute(
        select(Alert.labels, Alert.alert_name, Alert.service, Alert.severity, func.count())
        .join(AlertOccurrence, AlertOccurrence.alert_id == Alert.id)
        .where(AlertOccurrence.started_at >= now - _window(params))
        .group_by(Alert.id, Alert.labels, Alert.alert_name, Alert.service, Alert.severity)
    )
    return float(
        sum(
            n
            for lb, name, svc, sev, n in rows
            if matches_all(matchers, match_labels(lb, name, svc, sev))
        )
    )


async def _open_alerts(session: AsyncSession, params: dict[str, Any], now: datetime) -> float:
    """Open (firing, acknowledged or silenced) alerts matching `matchers`."""
    matchers = _matchers(params)
    rows = await session.execute(
        select(Alert.labels, Alert.alert_name, Alert.service, Alert.severity).where(
            Alert.status.in_(OPEN_STATUSES)
        )
    )
    return float(sum(1 for r in rows if matches_all(matchers, match_labels(*r))))


_BUILTIN = {
    s.name: s
    for s in (
        RuleSource(
            "alert_count",
            "alert occurrences started in the window (params: matchers, window_s)",
            _alert_count,
        ),
        RuleSource("open_alerts", "alerts open now (params: matchers)", _open_alerts),
        RuleSource(
            "span_error_rate",
            "errors / spans, 0..1 (params: service, operation, window_s)",
            tracing_sources.span_error_rate,
        ),
        RuleSource(
            "span_latency_percentile",
            "span duration in ms (params: service, operation, percentile 50/95/99, window_s)",
            tracing_sources.span_latency_percentile,
        ),
        RuleSource(
            "log_count",
            "log records matching a search-language query in the window (params: query, "
            "e.g. 'timeout -healthcheck service:api level:error'; service; levels; window_s)",
            log_sources.log_count,
            log_sources.check_log_count,
        ),
        RuleSource(
            "log_pattern_count",
            "records of one Drain pattern in the window (params: pattern_id, service, "
            'window_s), or with "new_patterns": true how many patterns were first seen in '
            "the window (params: service, min_level, window_s)",
            log_sources.log_pattern_count,
            log_sources.check_log_pattern_count,
        ),
        RuleSource(
            "slo_burn_rate",
            "error-budget burn rate of an SLO over the window; 1.0 spends the budget over "
            "the SLO window (params: slo_id, window_s default 3600)",
            slo_sources.slo_burn_rate,
            slo_sources.check_slo_burn_rate,
        ),
    )
}
