"""Trace search sorted by duration (longest first) over several hours: every page in
order, each trace once, ties by trace id, filters applied. Both databases."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

Headers = dict[str, str]

HOUR = 3_600_000_000_000
MS = 1_000_000
T0 = 1_795_824_000 * 10**9  # 2026-11-28T00:00:00Z, an hour boundary
WINDOW = {"start": "2026-11-28T00:30:00Z", "end": "2026-11-28T03:30:00Z"}
START, END = T0 + HOUR // 2, T0 + 3 * HOUR + HOUR // 2


@dataclass(frozen=True)
class S:
    trace_id: str
    span_id: str
    service: str
    name: str
    start_ns: int
    duration_ns: int
    error: bool = False


def _spans() -> list[S]:
    """Traces in four clock hours (the first and last cut by the window, with spans outside
    it on both sides), in two services, with tied durations and multi-span traces."""
    rng = random.Random(7)
    spans: list[S] = []
    for n in range(40):
        trace = f"{n + 1:032x}"
        start = T0 + rng.randrange(0, 4 * HOUR)
        duration = rng.choice([5, 7, 7, 12, 20, 20, 33, 50, 80, 80, 120]) * MS
        spans.append(S(trace, f"{n + 1:08x}a0000000", "api", "GET /a", start, duration, n % 5 == 0))
        if n % 2:
            child = rng.choice([3, 7, 20, 90]) * MS
            spans.append(S(trace, f"{n + 1:08x}b0000000", "db", "query", start + MS, child))
        if n % 7 == 0:
            other = rng.choice([7, 20, 200]) * MS
            spans.append(S(trace, f"{n + 1:08x}c0000000", "api", "GET /b", start + 2 * MS, other))
    # A trace crossing an hour boundary: its longer span is in the later hour.
    cross = f"{99:032x}"
    spans.append(S(cross, "99a0000000000000", "api", "GET /a", T0 + 2 * HOUR - 5 * MS, 60 * MS))
    spans.append(S(cross, "99b0000000000000", "api", "GET /a", T0 + 2 * HOUR + MS, 80 * MS))
    # Long spans just outside the window: never hits.
    spans.append(S(f"{98:032x}", "98a0000000000000", "api", "GET /a", START - MS, 900 * MS))
    spans.append(S(f"{97:032x}", "97a0000000000000", "api", "GET /a", END, 900 * MS))
    return spans


def _document(spans: list[S]) -> dict[str, Any]:
    by_service: dict[str, list[dict[str, Any]]] = {}
    for s in spans:
        by_service.setdefault(s.service, []).append(
            {
                "traceId": s.trace_id,
                "spanId": s.span_id,
                "name": s.name,
                "kind": 2,
                "startTimeUnixNano": str(s.start_ns),
                "endTimeUnixNano": str(s.start_ns + s.duration_ns),
                "status": {"code": 2 if s.error else 1},
            }
        )
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": service}}]
                },
                "scopeSpans": [{"scope": {"name": "test"}, "spans": items}],
            }
            for service, items in by_service.items()
        ]
    }


def _expected(spans: list[S], **match: Any) -> list[str]:
    """Trace ids by their longest matching span in the window, longest first, ties by id."""
    best: dict[str, int] = {}
    for s in spans:
        if not START <= s.start_ns < END:
            continue
        if match.get("service") not in (None, s.service):
            continue
        if match.get("operation") not in (None, s.name):
            continue
        if match.get("status") == "error" and not s.error:
            continue
        if s.duration_ns < match.get("min_duration_ms", 0) * MS:
            continue
        if s.duration_ns > match.get("max_duration_ms", 10**9) * MS:
            continue
        best[s.trace_id] = max(best.get(s.trace_id, 0), s.duration_ns)
    return [t for t, _ in sorted(best.items(), key=lambda item: (-item[1], item[0]))]


async def _pages(
    client: httpx.AsyncClient, headers: Headers, limit: int, **params: Any
) -> list[dict[str, Any]]:
    hits: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query: dict[str, Any] = {"sort": "duration", "limit": limit, **WINDOW, **params}
        if cursor:
            query["cursor"] = cursor
        response = await client.get("/api/tracing/traces", params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        hits += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return hits
    raise AssertionError("paging did not end")


@pytest.fixture
async def spans(client: httpx.AsyncClient, ingest_headers: Headers) -> list[S]:
    stored = _spans()
    response = await client.post("/v1/traces", json=_document(stored), headers=ingest_headers)
    assert response.status_code == 200, response.text
    return stored


@pytest.mark.parametrize(
    "match",
    [
        {},
        {"service": "api"},
        {"service": "db"},
        {"service": "api", "operation": "GET /b"},
        {"status": "error"},
        {"service": "api", "min_duration_ms": 10, "max_duration_ms": 100},
    ],
    ids=["all", "service", "other-service", "operation", "errors", "duration-range"],
)
async def test_pages_are_longest_first_each_trace_once(
    client: httpx.AsyncClient, admin_headers: Headers, spans: list[S], match: dict[str, Any]
) -> None:
    expected = _expected(spans, **match)
    assert len(expected) >= 3  # the case means something
    for limit in (1, 3, 7):
        hits = await _pages(client, admin_headers, limit, **match)
        assert [h["trace_id"] for h in hits] == expected, limit


async def test_ties_are_broken_by_trace_id_across_a_page_boundary(
    client: httpx.AsyncClient, admin_headers: Headers, ingest_headers: Headers
) -> None:
    # Five traces of exactly 40 ms in two hours, next to longer and shorter ones.
    same = [
        S(f"{n:032x}", f"{n:016x}", "tie", "op", T0 + HOUR + n * HOUR // 6, 40 * MS)
        for n in (5, 3, 9, 1, 7)
    ]
    others = [
        S(f"{n:032x}", f"{n:016x}", "tie", "op", T0 + HOUR + n * MS, d * MS)
        for n, d in ((20, 41), (21, 39))
    ]
    response = await client.post(
        "/v1/traces", json=_document(same + others), headers=ingest_headers
    )
    assert response.status_code == 200
    hits = await _pages(client, admin_headers, 2, service="tie")
    ids = [h["trace_id"] for h in hits]
    assert ids == [f"{n:032x}" for n in (20, 1, 3, 5, 7, 9, 21)]
    assert hits[0]["duration_ms"] == pytest.approx(41.0)


async def test_ties_longer_than_a_chunk_come_in_trace_id_order(
    client: httpx.AsyncClient, admin_headers: Headers, ingest_headers: Headers
) -> None:
    # 40 traces of exactly 50 ms over three minutes, more per minute than the first read
    # of a minute takes, mixed with longer and shorter ones: every trace once, longest
    # first, ties by trace id, whatever the page size.
    rng = random.Random(11)
    numbers = rng.sample(range(1, 1000), 60)
    spans = [
        S(f"{n:032x}", f"{n:016x}", "ties", "op", T0 + HOUR + (i % 3) * 60_000 * MS, d * MS)
        for i, (n, d) in enumerate(
            zip(numbers, [50] * 40 + [rng.choice([10, 49, 51, 90]) for _ in range(20)], strict=True)
        )
    ]
    response = await client.post("/v1/traces", json=_document(spans), headers=ingest_headers)
    assert response.status_code == 200
    expected = _expected(spans, service="ties")
    for limit in (1, 7, 25):
        hits = await _pages(client, admin_headers, limit, service="ties")
        assert [h["trace_id"] for h in hits] == expected, limit
