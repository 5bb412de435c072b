"""GET /api/tracing/slow-traces against an exact answer computed from what was sent: the
slowest root spans, and roots slower than their own operation's percentile (both databases).

Children here are often longer than other traces' roots, and one service never starts a
trace, so a read that ranked every span (not only roots) or every service would differ."""

from __future__ import annotations

import random
import time
from typing import Any

import httpx
import pytest

Headers = dict[str, str]

_SERVICES = {"frontend": ["GET /", "GET /cart"], "batch": ["nightly-export"]}


def _span(trace: int, span: int, parent: int, name: str, start: int, ms: float) -> dict[str, Any]:
    return {
        "traceId": f"{trace:032x}",
        "spanId": f"{span:016x}",
        "parentSpanId": f"{parent:016x}" if parent else "",
        "name": name,
        "kind": 2 if not parent else 3,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + int(ms * 1e6)),
    }


def _document(service: str, spans: list[dict[str, Any]]) -> dict[str, Any]:
    attributes = [{"key": "service.name", "value": {"stringValue": service}}]
    return {
        "resourceSpans": [
            {"resource": {"attributes": attributes}, "scopeSpans": [{"spans": spans}]}
        ]
    }


async def test_slow_traces_match_the_exact_answer(
    client: httpx.AsyncClient, admin_headers: Headers, ingest_headers: Headers
) -> None:
    rng = random.Random(11)
    base = (time.time_ns() // 60_000_000_000 - 20) * 60_000_000_000
    roots: list[tuple[str, str, float]] = []  # (trace id, operation, ms)
    by_service: dict[str, list[dict[str, Any]]] = {"frontend": [], "batch": [], "db": []}
    for trace in range(1, 401):
        start = base + rng.randrange(15 * 60) * 10**9  # over 15 minutes
        service = "batch" if trace % 5 == 0 else "frontend"
        name = rng.choice(_SERVICES[service])
        ms = rng.lognormvariate(4, 1.0)
        roots.append((f"{trace:032x}", name, ms))
        by_service[service].append(_span(trace, 1, 0, name, start, ms))
        # A database call: a child, in a service that never roots a trace, often longer
        # than other traces' roots (it ends after its caller: an async write).
        by_service["db"].append(_span(trace, 2, 1, "INSERT", start, rng.lognormvariate(4.5, 1)))
    for service, spans in by_service.items():
        for chunk in range(0, len(spans), 150):
            document = _document(service, spans[chunk : chunk + 150])
            response = await client.post("/v1/traces", json=document, headers=ingest_headers)
            assert response.status_code == 200, response.text

    window = {"start": (base - 10**9) // 10**9, "end": (base + 3600 * 10**9) // 10**9}
    params = {**window, "limit": 15, "percentile": 0.9}
    response = await client.get("/api/tracing/slow-traces", params=params, headers=admin_headers)
    assert response.status_code == 200, response.text
    body = response.json()

    exact = sorted(roots, key=lambda r: (-r[2], r[0]))
    assert [t["trace_id"] for t in body["slowest"]] == [t for t, _, _ in exact[:15]]
    # Above its own operation's 90th percentile (the rollups estimate it within 2%).
    p90 = {}
    for name in {n for _, n, _ in roots}:
        mine = sorted(ms for _, n, ms in roots if n == name)
        p90[name] = mine[int(0.9 * (len(mine) - 1))]
    above = [(t, n, ms) for t, n, ms in exact if ms > p90[n] * 1.02]
    assert [h["trace_id"] for h in body["above_percentile"]] == [t for t, _, _ in above[:15]]
    for hit, (_, name, _) in zip(body["above_percentile"], above, strict=False):
        assert hit["threshold_ms"] == pytest.approx(p90[name], rel=0.02)

    only_db = await client.get(
        "/api/tracing/slow-traces", params={**params, "service": "db"}, headers=admin_headers
    )
    assert only_db.json()["slowest"] == [] and only_db.json()["above_percentile"] == []
    batch = await client.get(
        "/api/tracing/slow-traces", params={**params, "service": "batch"}, headers=admin_headers
    )
    expected_batch = [t for t, n, _ in exact if n == "nightly-export"][:15]
    assert [t["trace_id"] for t in batch.json()["slowest"]] == expected_batch
