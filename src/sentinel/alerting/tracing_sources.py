"""Rule sources and dependency neighbours from the tracing domain (its service functions
only). Span counts come from tracing's per-minute rollups, so the window is in minutes."""

from __future__ import annotations

from datetime import datetime, timedelta
from time import monotonic
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.tracing import service as tracing

PERCENTILES = {50: "p50_ms", 95: "p95_ms", 99: "p99_ms"}


def _window(params: dict[str, Any], now: datetime) -> tracing.Window:
    return tracing.Window(now - timedelta(seconds=float(params.get("window_s", 300))), now)


async def _totals(session: AsyncSession, params: dict[str, Any], now: datetime) -> Any:
    service = params.get("service")
    if not isinstance(service, str) or not service:
        return None
    operation = params.get("operation") if isinstance(params.get("operation"), str) else None
    result = await tracing.statistics(session, _window(params, now), service, operation, None)
    return result.totals if result.totals.count else None  # no spans: no data


async def span_error_rate(
    session: AsyncSession, params: dict[str, Any], now: datetime
) -> float | None:
    """Errors / spans of `service` (and `operation`) over `window_s`, 0..1."""
    totals = await _totals(session, params, now)
    return None if totals is None else float(totals.error_rate)


async def span_latency_percentile(
    session: AsyncSession, params: dict[str, Any], now: datetime
) -> float | None:
    """The `percentile` (50, 95 or 99) span duration of `service`/`operation`, in ms."""
    totals = await _totals(session, params, now)
    field = PERCENTILES.get(int(params.get("percentile", 95)))
    if totals is None or field is None:
        return None
    value = getattr(totals, field)
    return None if value is None else float(value)


_GRAPH: WeakKeyDictionary[Engine, tuple[float, dict[str, frozenset[str]]]] = WeakKeyDictionary()
GRAPH_TTL = 60.0


async def dependency_neighbours(session: AsyncSession, now: datetime) -> dict[str, frozenset[str]]:
    """Callers and callees of every service seen in the last hour; cached for a minute
    per process, because ingest asks for it on every batch that opens a group."""
    key = session.get_bind().engine
    cached = _GRAPH.get(key)
    if cached is not None and monotonic() - cached[0] < GRAPH_TTL:
        return cached[1]
    graph = await tracing.dependency_graph(session, tracing.Window(now - timedelta(hours=1), now))
    neighbours: dict[str, set[str]] = {}
    for edge in graph.edges:
        neighbours.setdefault(edge.caller, set()).add(edge.callee)
        neighbours.setdefault(edge.callee, set()).add(edge.caller)
    result = {name: frozenset(peers) for name, peers in neighbours.items()}
    _GRAPH[key] = (monotonic(), result)
    return result
