"""SLI sources the worker fetches into minute buckets: spans (ratio of non-error spans,
or spans under a latency threshold) and PromQL good/total queries.

A fetch failure is recorded on the SLO (source_error) and its minutes are left alone, so
a broken data source shows up as an error, never as a wrong number."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.slo import store
from sentinel.slo.config import SloSettings
from sentinel.slo.evaluate import to_minute
from sentinel.slo.models import Slo
from sentinel.slo.spec import window_from_json
from sentinel.slo.windows import window_bounds
from sentinel.tracing.sli import good_total_by_minute

PROMQL_CHUNK_MINUTES = 10_000  # under Prometheus' 11,000 points per series


class SourceError(Exception):
    """The data source could not give a trustworthy answer."""


def fetch_range(slo: Slo, now: datetime, settings: SloSettings) -> tuple[int, int]:
    """[from, to) minutes to (re)fetch: since the last sync minus the late-data lag, at most
    the back-fill (and never before the window), through the current minute."""
    now_m = to_minute(now)
    start, _ = window_bounds(window_from_json(slo.window), now)
    earliest = max(to_minute(start), now_m - int(settings.source_backfill_days * 1440))
    begin = (
        earliest
        if slo.synced_until is None
        else max(earliest, slo.synced_until - settings.source_lag_minutes)
    )
    return begin, now_m + 1


async def span_buckets(
    session: AsyncSession, params: dict[str, Any], service: str, source: str, r: tuple[int, int]
) -> dict[int, tuple[float, float]]:
    """Good/total per minute from stored spans: non-error spans (span_ratio) or spans
    under the latency threshold."""
    threshold_ns = (
        None if source == "span_ratio" else int(float(params["threshold_ms"]) * 1_000_000)
    )
    return await good_total_by_minute(
        session, params.get("service") or service, params.get("operation"), r, threshold_ns
    )


async def _query_range(
    client: httpx.AsyncClient, url: str, query: str, start: int, end: int
) -> dict[int, float]:
    """Sum of the series of a range query per minute. A sample at time T (e.g. of
    increase(x[1m])) covers the minute before T."""
    try:
        response = await client.get(
            url.rstrip("/") + "/api/v1/query_range",
            params={"query": query, "start": start * 60 + 60, "end": end * 60, "step": "60"},
        )
    except httpx.HTTPError as exc:
        raise SourceError(f"cannot reach {url}: {type(exc).__name__}: {exc}") from exc
    try:
        body = response.json()
    except ValueError as exc:
        raise SourceError(f"{url} answered {response.status_code} without JSON") from exc
    if response.status_code != 200 or body.get("status") != "success":
        kind = body.get("errorType", response.status_code) if isinstance(body, dict) else ""
        error = body.get("error", "") if isinstance(body, dict) else ""
        raise SourceError(f"PromQL query {query!r} failed ({kind}): {error}")
    data = body.get("data") or {}
    if data.get("resultType") != "matrix":
        raise SourceError(f"PromQL query {query!r} did not return a range vector")
    sums: dict[int, float] = {}
    for series in data.get("result") or []:
        for ts, value in series.get("values") or []:
            number = float(value)
            if math.isnan(number) or math.isinf(number):
                continue
            minute = int(float(ts)) // 60 - 1
            sums[minute] = sums.get(minute, 0.0) + number
    return sums


async def promql_buckets(
    params: dict[str, Any], r: tuple[int, int], http_timeout: float
) -> dict[int, tuple[float, float]]:
    buckets: dict[int, tuple[float, float]] = {}
    async with httpx.AsyncClient(timeout=http_timeout) as client:
        for begin in range(r[0], r[1], PROMQL_CHUNK_MINUTES):
            end = min(begin + PROMQL_CHUNK_MINUTES, r[1])
            good = await _query_range(client, params["url"], params["good_query"], begin, end)
            total = await _query_range(client, params["url"], params["total_query"], begin, end)
            for minute, t in total.items():
                g = good.get(minute, 0.0)
                if g > t * 1.01 + 1e-6:
                    raise SourceError(
                        f"good ({g:g}) exceeds total ({t:g}) at minute {minute * 60}: the "
                        "good query must select a subset of the total query"
                    )
                if t < 0 or g < 0:
                    raise SourceError("PromQL returned negative event counts")
                # increase() extrapolates, so good may edge past total by a hair.
                buckets[minute] = (min(g, t), t)
    return buckets


async def check_promql(url: str, query: str, http_timeout: float = 5.0) -> str | None:
    """The server's complaint about a query (bad syntax), or None. An unreachable server
    is not a complaint here: it is recorded as a source error when the worker fetches."""
    try:
        async with httpx.AsyncClient(timeout=http_timeout) as client:
            response = await client.get(url.rstrip("/") + "/api/v1/query", params={"query": query})
            body = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    if isinstance(body, dict) and body.get("errorType") == "bad_data":
        return str(body.get("error", "invalid query"))
    return None


async def sync(
    session: AsyncSession, slos: Sequence[Slo], now: datetime, settings: SloSettings
) -> None:
    """Fetch new minutes for span and PromQL SLOs; record failures on the SLO."""
    for slo in slos:
        r = fetch_range(slo, now, settings)
        if r[0] >= r[1]:
            continue
        try:
            if slo.sli_source == "promql":
                buckets = await promql_buckets(slo.sli_params, r, settings.promql_timeout_seconds)
            else:
                buckets = await span_buckets(
                    session, slo.sli_params, slo.service, slo.sli_source, r
                )
        except SourceError as exc:
            slo.source_error = str(exc)[:2000]
            slo.source_error_at = now
            continue
        # Minutes in the range with no data are zero (e.g. a re-read after late spans).
        filled = {m: buckets.get(m, (0.0, 0.0)) for m in range(r[0], r[1])}
        await store.lock_slo(session, slo.id)
        await store.apply_minutes(session, slo, filled, replace=True)
        slo.synced_until = r[1] - 1  # the current minute is re-read next time
        slo.source_error = None
        slo.source_error_at = None
