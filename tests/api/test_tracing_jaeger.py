"""Jaeger query API v1 under /jaeger/api: the JSON model Grafana and Jaeger UI read."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.tracing_samples import CHILD_ID, DB_ID, ROOT_ID, TRACE_ID, otlp_json_trace

Headers = dict[str, str]


@pytest.fixture
async def stored(client: httpx.AsyncClient, ingest_headers: Headers) -> None:
    response = await client.post("/v1/traces", json=otlp_json_trace(), headers=ingest_headers)
    assert response.status_code == 200


async def test_services_and_operations(
    client: httpx.AsyncClient, admin_headers: Headers, stored: None
) -> None:
    body = (await client.get("/jaeger/api/services", headers=admin_headers)).json()
    assert body["data"] == ["checkout", "frontend"] and body["errors"] is None
    assert body["total"] == 2
    ops = (
        await client.get("/jaeger/api/services/checkout/operations", headers=admin_headers)
    ).json()
    assert sorted(ops["data"]) == ["POST /pay", "SELECT payments"]
    kinds = (
        await client.get(
            "/jaeger/api/operations", params={"service": "checkout"}, headers=admin_headers
        )
    ).json()
    assert {(o["name"], o["spanKind"]) for o in kinds["data"]} == {
        ("POST /pay", "server"),
        ("SELECT payments", "client"),
    }


async def test_trace_by_id_in_jaeger_model(
    client: httpx.AsyncClient, admin_headers: Headers, stored: None
) -> None:
    response = await client.get(f"/jaeger/api/traces/{TRACE_ID}", headers=admin_headers)
    assert response.status_code == 200
    (trace,) = response.json()["data"]
    assert trace["traceID"] == TRACE_ID
    spans = {s["spanID"]: s for s in trace["spans"]}
    assert set(spans) == {ROOT_ID, CHILD_ID, DB_ID, "aaaaaaaaaaaaaaa1"}
    root = spans[ROOT_ID]
    assert root["references"] == [] and root["operationName"] == "GET /checkout"
    assert root["duration"] == 100_000  # µs
    assert root["startTime"] == pytest.approx(time.time() * 1e6, abs=60e6)
    root_tags = {t["key"]: t for t in root["tags"]}
    assert root_tags["http.response.status_code"] == {
        "key": "http.response.status_code",
        "type": "int64",
        "value": 500,
    }
    assert root_tags["error"]["value"] is True and root_tags["span.kind"]["value"] == "server"
    assert root_tags["otel.status_description"]["value"] == "upstream failed"
    child = spans[CHILD_ID]
    assert child["references"] == [
        {"refType": "CHILD_OF", "traceID": TRACE_ID, "spanID": "aaaaaaaaaaaaaaa1"}
    ]
    assert child["logs"][0]["fields"][0] == {"key": "event", "type": "string", "value": "exception"}
    processes = trace["processes"]
    assert processes[root["processID"]]["serviceName"] == "frontend"
    assert processes[root["processID"]]["tags"] == [
        {"key": "host.name", "type": "string", "value": "web-1"}
    ]
    assert processes[child["processID"]]["serviceName"] == "checkout"
    db_tags = {t["key"]: t for t in spans[DB_ID]["tags"]}
    assert db_tags["retry"]["type"] == "bool" and db_tags["ratio"]["type"] == "float64"


async def test_missing_trace_is_a_jaeger_404(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    response = await client.get(f"/jaeger/api/traces/{'c' * 32}", headers=admin_headers)
    assert response.status_code == 404
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["code"] == 404


async def test_search_with_jaeger_parameters(
    client: httpx.AsyncClient, admin_headers: Headers, stored: None
) -> None:
    now_us = time.time_ns() // 1000
    base = {"start": now_us - 3600 * 10**6, "end": now_us, "limit": 20}

    async def found(**params: object) -> list[str]:
        response = await client.get(
            "/jaeger/api/traces", params={**base, **params}, headers=admin_headers
        )
        assert response.status_code == 200, response.text
        return [t["traceID"] for t in response.json()["data"]]

    assert await found(service="checkout") == [TRACE_ID]
    assert await found(service="checkout", operation="POST /pay") == [TRACE_ID]
    assert await found(service="checkout", operation="nope") == []
    assert await found(service="frontend", tags=json.dumps({"customer.tier": "gold"})) == [TRACE_ID]
    assert await found(service="frontend", tags=json.dumps({"customer.tier": "x"})) == []
    assert await found(service="checkout", tag="error:true") == [TRACE_ID]
    assert await found(service="checkout", minDuration="50ms", maxDuration="1s") == [TRACE_ID]
    assert await found(service="checkout", minDuration="70ms") == []
    old = {"start": 1_000_000, "end": 2_000_000}
    assert await found(service="checkout", **old) == []
    bad = await client.get(
        "/jaeger/api/traces", params={"minDuration": "soon"}, headers=admin_headers
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == 400


async def test_dependencies_links(
    client: httpx.AsyncClient, admin_headers: Headers, stored: None
) -> None:
    body = (await client.get("/jaeger/api/dependencies", headers=admin_headers)).json()
    assert {(d["parent"], d["child"], d["callCount"]) for d in body["data"]} == {
        ("frontend", "checkout", 1),
        ("checkout", "pg-main", 1),
    }


async def test_jaeger_api_needs_read(client: httpx.AsyncClient, key_with: object) -> None:
    assert (await client.get("/jaeger/api/services")).status_code == 401
    ingest = await key_with("ingest")  # type: ignore[operator]
    assert (await client.get("/jaeger/api/services", headers=ingest)).status_code == 403
