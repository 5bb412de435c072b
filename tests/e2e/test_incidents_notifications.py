"""End to end (both databases): an alert pages the on-call person through a real webhook
receiver on loopback, the incident opens itself, and its timeline shows the delivered
page: who, which channel, the latency, authored by the system."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import LiveServer, start_server, stop_server
from tests.notify_receivers import HttpReceiver

pytestmark = pytest.mark.e2e


def _eventually(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    http = HttpReceiver().start()
    yield http
    http.stop()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(
        database_url,
        tmp_path / "server",
        {
            "SENTINEL_ALERT_TICK_SECONDS": "0.2",
            "SENTINEL_NOTIFY_TICK_SECONDS": "0.2",
            "SENTINEL_INCIDENT_TICK_SECONDS": "0.3",
        },
    )
    try:
        yield live
    finally:
        stop_server(live)


def _post(api: httpx.Client, path: str, body: Any) -> Any:
    response = api.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_delivered_page_is_on_the_incident_timeline(
    server: LiveServer, receiver: HttpReceiver
) -> None:
    api = httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=15)
    user = _post(
        api,
        "/api/users",
        {
            "email": "ana@example.com",
            "name": "Ana",
            "password": "password-123",
            "role": "responder",
        },
    )
    _post(
        api,
        f"/api/oncall/users/{user['id']}/contact-methods",
        {"kind": "webhook", "address": f"{receiver.url}/hook/ana"},
    )
    policy = _post(
        api,
        "/api/oncall/escalation-policies",
        {"name": "payments", "steps": [{"kind": "notify_users", "targets": [user["id"]]}]},
    )
    _post(
        api,
        "/api/alerting/routes",
        {
            "name": "payments",
            "matchers": ['service="payments"'],
            "escalation_policy_id": policy["id"],
            "group_wait_s": 0.2,
        },
    )
    fired = httpx.post(
        f"{server.url}/api/v2/alerts",
        headers=server.ingest_headers,
        json=[
            {
                "labels": {
                    "alertname": "PaymentsDown",
                    "service": "payments",
                    "severity": "critical",
                },
                "annotations": {"summary": "payments answers 503"},
            }
        ],
    )
    assert fired.status_code == 200, fired.text
    assert receiver.wait_for(lambda: len(receiver.on("/hook/ana")) == 1, timeout=30)

    incidents = _eventually(lambda: api.get("/api/incidents/active").json()["items"])
    assert len(incidents) == 1, server.log()[-3000:]
    iid = incidents[0]["id"]

    def delivered() -> list[Any]:
        items = api.get(f"/api/incidents/{iid}/timeline").json()["items"]
        return [e for e in items if e["kind"] == "notification" and "attempt_id" in e["detail"]]

    entries = _eventually(delivered)
    assert len(entries) == 1, server.log()[-3000:]
    [entry] = entries
    assert entry["author"] == "sentinel (notify)"
    assert entry["detail"]["user"] == "Ana" and entry["detail"]["channel"] == "webhook"
    assert entry["detail"]["delivered"] is True and entry["detail"]["status_code"] == 200
    assert entry["detail"]["address"] == f"{receiver.url}/hook/ana"
    assert entry["message"].startswith("Paged Ana via webhook") and " ms" in entry["message"]
    timeline = api.get(f"/api/incidents/{iid}/timeline").json()["items"]
    assert [e["id"] for e in timeline] == sorted(e["id"] for e in timeline)
    assert timeline[0]["kind"] == "created"
    # The post-mortem's timeline carries the page as well.
    doc = api.get(f"/api/incidents/{iid}/post-mortem").json()
    assert any(e["message"] == entry["message"] for e in doc["timeline"])
    api.close()
