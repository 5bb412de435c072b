"""/health, /suite-info, /metrics, and behaviour when the database goes away."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from sentinel.storage.engine import Database

UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"


async def test_health_reports_database_worker_and_resources(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["status"] == "ok"
    assert body["database"]["latency_ms"] >= 0
    # The worker is disabled in this app and never ran: health says so instead of lying.
    assert body["worker"]["status"] == "stale"
    assert body["worker"]["runs_in_this_process"] is False
    assert body["status"] == "degraded"
    assert body["resources"]["rss_bytes"] > 0
    assert set(body["integrations"]) == {"enterprise_hub", "ninja", "license_server"}


async def test_database_outage_is_503_and_recovers(
    client: httpx.AsyncClient, app: FastAPI, admin_headers: dict[str, str]
) -> None:
    healthy: Database = app.state.db
    app.state.db = Database(UNREACHABLE)
    try:
        health = await client.get("/health")
        assert health.status_code == 503
        assert health.json()["database"]["status"] == "unreachable"
        assert health.headers["retry-after"] == "5"
        users = await client.get("/api/users", headers=admin_headers)
        assert users.status_code == 503
        assert users.headers["content-type"] == "application/problem+json"
        assert users.headers["retry-after"] == "5"
    finally:
        await app.state.db.dispose()
        app.state.db = healthy
    assert (await client.get("/api/users", headers=admin_headers)).status_code == 200
    assert (await client.get("/health")).json()["database"]["status"] == "ok"


async def test_suite_info_names_the_service(client: httpx.AsyncClient) -> None:
    body = (await client.get("/suite-info")).json()
    assert body["name"] == "Sentinel"
    assert body["endpoints"]["api_docs"] == "/docs"


async def test_metrics_count_requests_by_route_template(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await client.get("/api/users/12345", headers=admin_headers)
    await client.get("/api/users/67890", headers=admin_headers)
    text = (await client.get("/metrics")).text
    assert (
        'sentinel_http_requests_total{method="GET",route="/api/users/{user_id}",status="404"} 2.0'
        in text
    )
    assert "sentinel_http_request_duration_seconds_bucket" in text
    assert "process_resident_memory_bytes" in text
    # The worker never ran in this app: its heartbeat age says so, and the queue is empty.
    assert "sentinel_worker_heartbeat_age_seconds -1.0" in text
    assert 'sentinel_jobs{status="pending"} 0.0' in text


async def test_metrics_can_require_a_key(
    client: httpx.AsyncClient, app: FastAPI, ingest_headers: dict[str, str], key_with: object
) -> None:
    app.state.settings.metrics_public = False
    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/metrics", headers=ingest_headers)).status_code == 403
    reader = await key_with("read")  # type: ignore[operator]
    assert (await client.get("/metrics", headers=reader)).status_code == 200


async def test_openapi_documents_the_api(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path in (
        "/api/auth/login",
        "/api/users",
        "/api/teams",
        "/api/api-keys",
        "/api/audit",
        "/health",
    ):
        assert path in spec["paths"]
    assert (await client.get("/docs")).status_code == 200
    # Every ingest route behind the ingest pool says it can answer 503 (retry later).
    for path in ("/v1/traces", "/v1/logs", "/api/logs/ingest", "/loki/api/v1/push"):
        assert "Retry-After" in spec["paths"][path]["post"]["responses"]["503"]["description"]
