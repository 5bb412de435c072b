"""The real server process: health, login, auth over the wire, shutdown."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import LiveServer


def test_real_server_serves_health_docs_metrics_and_auth(live_server: LiveServer) -> None:
    health = httpx.get(f"{live_server.url}/health").json()
    assert health["database"]["status"] == "ok"
    assert httpx.get(f"{live_server.url}/docs").status_code == 200
    openapi = httpx.get(f"{live_server.url}/openapi.json").json()
    assert "/api/auth/login" in openapi["paths"]
    headers = live_server.admin_headers()
    me = httpx.get(f"{live_server.url}/api/auth/me", headers=headers)
    assert me.json()["role"] == "admin"
    assert httpx.get(f"{live_server.url}/api/auth/me").status_code == 401
    metrics = httpx.get(f"{live_server.url}/metrics").text
    assert (
        'sentinel_http_requests_total{method="GET",route="/api/auth/me",status="200"} 1.0'
        in metrics
    )
