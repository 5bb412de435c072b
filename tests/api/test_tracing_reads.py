"""Trace view, search, dependencies, statistics, slow traces, services: both databases."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.tracing_samples import CHILD_ID, DB_ID, ROOT_ID, TRACE_ID, otlp_json_trace

Headers = dict[str, str]


@pytest.fixture
async def stored(client: httpx.AsyncClient, ingest_headers: Headers) -> None:
    response = await client.post("/v1/traces", json=otlp_json_trace(), headers=ingest_headers)
    assert response.status_code == 200, response.text


async def test_trace_view_is_a_tree_with_self_time_and_critical_path(
    client: httpx.AsyncClient, admin_headers: Headers, stored: None
) -> None:
    response = await client.get(f"/api/tracing/traces/{TRACE_ID}", headers=admin_headers)
    assert response.status_code == 200, response.text
    trace = response.json()
    assert trace["span_count"] == 4 and trace["error_count"] == 2
    assert trace["root_service"] == "frontend" and trace["root_operation"] == "GET /checkout"
    assert trace["services"] == {"checkout": 2, "frontend": 2}
    assert trace["duration_ms"] == pytest.approx(100.0)
    (root,) = trace["roots"]
    assert root["span_id"] == ROOT_ID and root["parent_span_id"] is None
    (client_span,) = root["children"]
    (server_span,) = client_span["children"]
    (db_span,) = server_span["children"]
    assert server_span["span_id"] == CHILD_ID and db_span["span_id"] == DB_ID
    assert (server_span["service"], server_span["depth"], server_span["status"]) == (
        "checkout",
        2,
        "error",
    )
    # root 0-100ms, client 10-90, server 20-80, db 30-50 (ms).
    assert root["self_time_ms"] == pytest.approx(20.0)
    assert client_span["self_time_ms"] == pytest.approx(20.0)
    assert server_span["self_time_ms"] == pytest.approx(40.0)
    assert db_span["self_time_ms"] == pytest.approx(20.0)
    assert trace["critical_path"] == [ROOT_ID, "aaaaaaaaaaaaaaa1", CHILD_ID, DB_ID]
    assert root["attributes"]["customer.tier"] == "gold"
    assert root["resource"] == {"service.name": "frontend", "host.name": "web-1"}
    assert root["scope"] == {"name": "manual", "version": "1.0"}
    assert server_span["events"][0]["attributes"] == {"exception.type": "CardDeclined"}
    assert db_span["attributes"]["db.rows"] == 3


async def test_trace_view_errors(client: httpx.AsyncClient, admin_headers: Headers) -> None:
    missing = await client.get(f"/api/tracing/traces/{'ab' * 16}", headers=admin_headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    bad = await client.get("/api/tracing/traces/not-hex", headers=admin_headers)
    assert bad.status_code == 400
    assert (await client.get(f"/api/tracing/traces/{TRACE_ID}")).status_code == 401


async def search(client: httpx.AsyncClient, headers: Headers, **params: Any) -> list[str]:
    response = await client.get("/api/tracing/traces", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [hit["trace_id"] for hit in response.json()["items"]]


async def test_search_filters(
    client: httpx.AsyncClient, admin_headers: Headers, ingest_headers: Headers, stored: None
) -> None:
    other = "1" * 32
    response = await client.post(
        "/v1/traces", json=otlp_json_trace(other, error=False), headers=ingest_headers
    )
    assert response.status_code == 200
    h = admin_headers
    assert set(await search(client, h)) == {TRACE_ID, other}
    assert set(await search(client, h, service="checkout", status="error")) == {TRACE_ID}
    assert set(await search(client, h, service="checkout", operation="POST /pay")) == {
        TRACE_ID,
        other,
    }
    assert await search(client, h, service="nobody") == []
    assert set(await search(client, h, attribute="customer.tier=gold")) == {TRACE_ID, other}
    assert await search(client, h, attribute="customer.tier=silver") == []
    assert set(await search(client, h, attribute=["db.rows=3", "retry=false"])) == {
        TRACE_ID,
        other,
    }
    assert set(await search(client, h, attribute="host.name=web-1")) == {TRACE_ID, other}
    assert set(await search(client, h, attribute="http.route=/checkout")) == {TRACE_ID, other}
    assert set(await search(client, h, attribute="http.response.status_code=500")) == {
        TRACE_ID,
        other,
    }
    assert await search(client, h, attribute="no.such.key") == []
    assert set(await search(client, h, service="frontend", attribute="db.system!=x")) == {
        TRACE_ID,
        other,
    }
    assert set(await search(client, h, min_duration_ms=99, max_duration_ms=101)) == {
        TRACE_ID,
        other,
    }
    assert await search(client, h, min_duration_ms=101) == []
    old = {"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"}
    assert await search(client, h, **old) == []
    bad = await client.get("/api/tracing/traces", params={"attribute": "=x"}, headers=h)
    assert bad.status_code == 400


async def test_search_summaries_sort_and_cursor(
    client: httpx.AsyncClient, admin_headers: Headers, ingest_headers: Headers
) -> None:
    base = time.time_ns() - 60_000_000_000
    ids = [f"{i:032x}" for i in range(1, 6)]
    for i, trace_id in enumerate(ids):
        document = otlp_json_trace(trace_id, base + i * 1_000_000_000)
        response = await client.post("/v1/traces", json=document, headers=ingest_headers)
        assert response.status_code == 200
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/api/tracing/traces", params=params, headers=admin_headers)
        page = response.json()
        seen += [hit["trace_id"] for hit in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))  # newest first, each once
    hit = page["items"][-1]
    assert hit["root_service"] == "frontend" and hit["span_count"] == 4
    assert hit["services"] == {"checkout": 2, "frontend": 2} and hit["error_count"] == 2
    by_duration = await search(client, admin_headers, sort="duration", limit=1)
    assert len(by_duration) == 1


async def test_dependencies_and_graph(
    client: httpx.AsyncClient, admin_headers: Headers, stored: None
) -> None:
    response = await client.get(
        "/api/tracing/services/checkout/dependencies", headers=admin_headers
    )
    assert response.status_code == 200, response.text
    deps = response.json()
    (up,) = deps["upstream"]
    assert (up["caller"], up["callee"], up["traced"], up["call_count"]) == (
        "frontend",
        "checkout",
        True,
        1,
    )
    assert up["error_rate"] == 1.0 and up["p99_ms"] == pytest.approx(60.0, rel=0.02)
    (down,) = deps["downstream"]
    assert (down["callee"], down["traced"]) == ("pg-main", False)
    graph = (await client.get("/api/tracing/dependencies", headers=admin_headers)).json()
    assert {(e["caller"], e["callee"]) for e in graph["edges"]} == {
        ("frontend", "checkout"),
        ("checkout", "pg-main"),
    }
    assert set(graph["services"]) >= {"frontend", "checkout", "pg-main"}
    missing = await client.get("/api/tracing/services/nope/dependencies", headers=admin_headers)
    assert missing.status_code == 404


async def test_statistics_totals_and_series(
    client: httpx.AsyncClient, admin_headers: Headers, stored: None
) -> None:
    response = await client.get(
        "/api/tracing/statistics",
        params={"service": "checkout", "step": 300},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["totals"]["count"] == 2 and body["totals"]["error_count"] == 1
    ops = {o["operation"]: o for o in body["operations"]}
    pay = ops["POST /pay"]
    assert pay["error_rate"] == 1.0 and pay["p50_ms"] == pytest.approx(60.0, rel=0.02)
    assert sum(p["count"] for p in pay["series"]) == 1 and body["step_seconds"] == 300
    bad = await client.get("/api/tracing/statistics", params={"step": 90}, headers=admin_headers)
    assert bad.status_code == 400


async def test_statistics_per_service_count_the_requests_it_served(
    client: httpx.AsyncClient, admin_headers: Headers, stored: None
) -> None:
    """Per service (the UI's overview): its server spans only, not its client/db spans."""
    response = await client.get("/api/tracing/statistics", headers=admin_headers)
    assert response.status_code == 200, response.text
    services = {s["service"]: s for s in response.json()["services"]}
    assert set(services) == {"frontend", "checkout"}
    frontend, checkout = services["frontend"], services["checkout"]
    assert frontend["basis"] == checkout["basis"] == "entry_spans"
    assert (frontend["count"], frontend["operations"]) == (1, 2)  # GET /checkout, not its client
    assert frontend["error_rate"] == 1.0  # GET /checkout failed (500)
    assert frontend["p95_ms"] == pytest.approx(100.0, rel=0.02)
    assert checkout["count"] == 1 and checkout["error_rate"] == 1.0  # POST /pay failed
    assert checkout["p95_ms"] == pytest.approx(60.0, rel=0.02)  # the query is not a request
    assert sum(p["count"] for p in checkout["series"]) == 1
    assert checkout["rate_per_second"] == pytest.approx(1 / 3600, rel=0.05)


async def test_slow_traces_services_and_operations(
    client: httpx.AsyncClient, admin_headers: Headers, stored: None
) -> None:
    slow = (await client.get("/api/tracing/slow-traces", headers=admin_headers)).json()
    assert [t["trace_id"] for t in slow["slowest"]] == [TRACE_ID]
    services = (await client.get("/api/tracing/services", headers=admin_headers)).json()
    assert services == ["checkout", "frontend"]
    ops = await client.get("/api/tracing/services/checkout/operations", headers=admin_headers)
    assert {o["operation"] for o in ops.json()} == {"POST /pay", "SELECT payments"}
    missing = await client.get("/api/tracing/services/nope/operations", headers=admin_headers)
    assert missing.status_code == 404


async def test_brief_create_trace_and_span(
    client: httpx.AsyncClient, ingest_headers: Headers, admin_headers: Headers, login_as: Any
) -> None:
    body = {
        "service_name": "my-service",
        "operation_name": "GET /api/users",
        "start_time": "2026-01-01T10:00:00",
        "end_time": "2026-01-01T10:00:00.250",
        "status_code": 503,
        "http_method": "get",
        "http_url": "/api/users",
    }
    created = await client.post("/api/tracing/traces", json=body, headers=ingest_headers)
    assert created.status_code == 201, created.text
    ids = created.json()
    child = {
        **body,
        "trace_id": ids["trace_id"],
        "parent_span_id": ids["span_id"],
        "service_name": "db",
        "operation_name": "SELECT users",
        "status_code": "ok",
    }
    added = await client.post("/api/tracing/spans", json=child, headers=ingest_headers)
    assert added.status_code == 201, added.text
    view = (
        await client.get(f"/api/tracing/traces/{ids['trace_id']}", headers=admin_headers)
    ).json()
    (root,) = view["roots"]
    assert root["error"] and root["http_method"] == "GET" and root["http_status_code"] == 503
    assert root["duration_ms"] == pytest.approx(250.0)
    assert root["children"][0]["span_id"] == added.json()["span_id"]
    missing = {**child, "trace_id": "f" * 32}
    response = await client.post("/api/tracing/spans", json=missing, headers=ingest_headers)
    assert response.status_code == 404
    backwards = {**body, "end_time": "2026-01-01T09:00:00"}
    assert (
        await client.post("/api/tracing/traces", json=backwards, headers=ingest_headers)
    ).status_code == 400
    assert (
        await client.post("/api/tracing/traces", json={}, headers=ingest_headers)
    ).status_code == 422
    assert (await client.post("/api/tracing/traces", json=body)).status_code == 401
    viewer = await login_as("viewer")
    assert (await client.post("/api/tracing/traces", json=body, headers=viewer)).status_code == 403


async def test_reads_need_the_read_permission(client: httpx.AsyncClient, key_with: Any) -> None:
    ingest_only = await key_with("ingest")
    for path in (
        "/api/tracing/traces",
        "/api/tracing/services",
        "/api/tracing/statistics",
        "/api/tracing/slow-traces",
        "/api/tracing/dependencies",
    ):
        assert (await client.get(path)).status_code == 401, path
        assert (await client.get(path, headers=ingest_only)).status_code == 403, path


async def test_statistics_percentiles_within_two_percent_of_exact(
    client: httpx.AsyncClient, admin_headers: Headers, ingest_headers: Headers
) -> None:
    import math
    import random

    rng = random.Random(3)
    base = time.time_ns() - 20 * 60 * 10**9
    durations = [int(rng.lognormvariate(17, 1.2)) for _ in range(3000)]
    for chunk in range(3):  # three requests -> partial rollup rows to merge
        spans = [
            {
                "traceId": f"{chunk + 1:08x}{i:024x}",
                "spanId": f"{i + 1:016x}",
                "name": "GET /items",
                "kind": 2,
                "startTimeUnixNano": str(base + i * 300_000_000),
                "endTimeUnixNano": str(base + i * 300_000_000 + d),
                "status": {"code": 2 if i % 10 == 0 else 0},
            }
            for i, d in enumerate(durations[chunk * 1000 : (chunk + 1) * 1000])
        ]
        document = {
            "resourceSpans": [
                {
                    "resource": {
                        "attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]
                    },
                    "scopeSpans": [{"spans": spans}],
                }
            ]
        }
        response = await client.post("/v1/traces", json=document, headers=ingest_headers)
        assert response.status_code == 200 and response.json() == {}, response.text
    response = await client.get(
        "/api/tracing/statistics",
        params={"service": "api", "start": (base - 10**9) // 10**9, "step": 120},
        headers=admin_headers,
    )
    body = response.json()
    totals = body["totals"]
    assert totals["count"] == 3000 and totals["error_count"] == 300
    ordered = sorted(durations)
    for q, key in ((0.5, "p50_ms"), (0.95, "p95_ms"), (0.99, "p99_ms")):
        exact_ms = ordered[math.floor(q * (len(ordered) - 1))] / 1e6
        assert abs(totals[key] - exact_ms) / exact_ms <= 0.02, (key, totals[key], exact_ms)
    (op,) = body["operations"]
    assert sum(point["count"] for point in op["series"]) == 3000
    assert len(op["series"]) >= 2  # the spans cover 5 minutes; 2-minute steps


async def test_sort_by_duration_pages_each_trace_once(
    client: httpx.AsyncClient, admin_headers: Headers, ingest_headers: Headers
) -> None:
    created = []
    for ms in (30, 10, 50, 20, 40):
        body = {
            "service_name": "api",
            "operation_name": "GET /x",
            "start_time": "2026-11-28T03:00:00Z",
            "end_time": f"2026-11-28T03:00:00.{ms:03d}Z",
            "status_code": 200,
        }
        response = await client.post("/api/tracing/traces", json=body, headers=ingest_headers)
        created.append((ms, response.json()["trace_id"]))
    seen: list[str] = []
    cursor = None
    window = {"start": "2026-11-28T02:00:00Z", "end": "2026-11-28T04:00:00Z"}
    while True:
        params: dict[str, Any] = {"sort": "duration", "limit": 2, "service": "api", **window}
        if cursor:
            params["cursor"] = cursor
        page = (
            await client.get("/api/tracing/traces", params=params, headers=admin_headers)
        ).json()
        seen += [hit["trace_id"] for hit in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [t for _, t in sorted(created, reverse=True)]
    bad = await client.get("/api/tracing/traces", params={"cursor": "!!"}, headers=admin_headers)
    assert bad.status_code == 400


async def test_trace_view_is_plain_json_documented_as_a_trace_view(
    client: httpx.AsyncClient, admin_headers: Headers, stored: None
) -> None:
    """The view is written by pydantic directly (large traces); same JSON, same schema."""
    response = await client.get(f"/api/tracing/traces/{TRACE_ID}", headers=admin_headers)
    assert response.headers["content-type"] == "application/json"
    root = response.json()["roots"][0]
    assert root["start_ns"] == int(root["start_ns"]) and root["start_time"].endswith("Z")
    openapi = (await client.get("/openapi.json")).json()
    answer = openapi["paths"]["/api/tracing/traces/{trace_id}"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TraceView"
    }
