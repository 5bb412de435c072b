"""Custom alert rules through the API, evaluated as the worker does, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sentinel.alerting.config import AlertingSettings
from sentinel.alerting.rule_service import evaluate_rules
from sentinel.storage.engine import Database
from tests.conftest import UserFactory

H = dict[str, str]
RULE = {
    "name": "TooManyCriticals",
    "source": "open_alerts",
    "params": {"matchers": ['severity="critical"']},
    "comparator": ">=",
    "threshold": 2,
    "severity": "high",
    "labels": {"team": "sre"},
}


async def _tick(db: Database) -> int:
    async with db.transaction() as s:
        return await evaluate_rules(s, datetime.now(UTC), AlertingSettings())


def critical(name: str) -> dict[str, Any]:
    return {"service_name": "api", "alert_name": name, "severity": "critical"}


async def test_rule_fires_and_resolves_with_state_history(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H, db: Database
) -> None:
    r = await client.post("/api/alerting/rules", json=RULE, headers=admin_headers)
    assert r.status_code == 201, r.text
    rule_id = r.json()["id"]
    ids = [
        (await client.post("/api/alerts", json=critical(n), headers=ingest_headers)).json()["id"]
        for n in ("A", "B")
    ]
    assert await _tick(db) == 1
    rule = (await client.get(f"/api/alerting/rules/{rule_id}", headers=admin_headers)).json()
    assert rule["state"] == "firing" and rule["last_value"] == 2
    [alert] = (
        await client.get(
            "/api/alerts", params={"alert_name": "TooManyCriticals"}, headers=admin_headers
        )
    ).json()["items"]
    assert alert["source"] == "rule" and alert["labels"]["team"] == "sre"
    assert alert["current_value"] == 2 and alert["threshold_value"] == 2
    await client.post(f"/api/alerts/{ids[0]}/resolve", headers=admin_headers)
    assert await _tick(db) == 1
    got = (await client.get(f"/api/alerts/{alert['id']}", headers=admin_headers)).json()
    assert got["status"] == "resolved"
    history = (
        await client.get(f"/api/alerting/rules/{rule_id}/history", headers=admin_headers)
    ).json()
    assert [(h["from_state"], h["to_state"]) for h in history] == [
        ("normal", "firing"),
        ("firing", "normal"),
    ]


async def test_sources_list_says_every_source_is_wired(
    client: httpx.AsyncClient, login_as: UserFactory
) -> None:
    viewer = await login_as("viewer")
    got = {
        s["name"]: s["wired"]
        for s in (await client.get("/api/alerting/rule-sources", headers=viewer)).json()
    }
    assert got["open_alerts"] and got["alert_count"]
    assert got["span_error_rate"] and got["span_latency_percentile"]
    assert got["log_count"] and got["log_pattern_count"] and got["slo_burn_rate"]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"source": "log_count", "params": {"query": "level:loud"}}, 400),
        ({"source": "span_error_rate"}, 400),  # needs params.service
        ({"source": "span_latency_percentile", "params": {"service": "a", "percentile": 42}}, 400),
        ({"source": "nope"}, 400),
        ({"comparator": "=>"}, 422),
        ({"params": {"matchers": ['x=~"("']}}, 422),
        ({"severity": "urgent"}, 422),
        ({"no_data": "panic"}, 422),
        ({"labels": {"": "x"}}, 422),
    ],
)
async def test_bad_rules_are_refused(
    client: httpx.AsyncClient, admin_headers: H, change: dict[str, Any], status: int
) -> None:
    r = await client.post("/api/alerting/rules", json={**RULE, **change}, headers=admin_headers)
    assert r.status_code == status, r.text
    listed = (await client.get("/api/alerting/rules", headers=admin_headers)).json()
    assert listed["items"] == []


async def test_rule_permissions_and_404(
    client: httpx.AsyncClient, login_as: UserFactory, admin_headers: H
) -> None:
    responder = await login_as("responder")
    assert (await client.post("/api/alerting/rules", json=RULE)).status_code == 401
    assert (
        await client.post("/api/alerting/rules", json=RULE, headers=responder)
    ).status_code == 403
    assert (await client.get("/api/alerting/rules/999", headers=responder)).status_code == 404
    rule_id = (await client.post("/api/alerting/rules", json=RULE, headers=admin_headers)).json()[
        "id"
    ]
    dup = await client.post("/api/alerting/rules", json=RULE, headers=admin_headers)
    assert dup.status_code == 409
    r = await client.put(
        f"/api/alerting/rules/{rule_id}", json={**RULE, "threshold": 5}, headers=admin_headers
    )
    assert r.status_code == 200 and r.json()["threshold"] == 5
    assert (
        await client.delete(f"/api/alerting/rules/{rule_id}", headers=responder)
    ).status_code == 403
    assert (
        await client.delete(f"/api/alerting/rules/{rule_id}", headers=admin_headers)
    ).status_code == 204
    assert (
        await client.get(f"/api/alerting/rules/{rule_id}/history", headers=admin_headers)
    ).status_code == 404


async def test_span_error_rate_and_latency_rules_read_the_tracing_rollups(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H, db: Database
) -> None:
    now = datetime.now(UTC)
    for i, status in enumerate((200, 200, 200, 503)):
        r = await client.post(
            "/api/tracing/traces",
            json={
                "service_name": "checkout",
                "operation_name": "POST /pay",
                "start_time": (now - timedelta(seconds=30 + i)).isoformat(),
                "end_time": (now - timedelta(seconds=29 + i)).isoformat(),
                "status_code": status,
            },
            headers=ingest_headers,
        )
        assert r.status_code in (200, 201), r.text
    errors = {
        **RULE,
        "name": "CheckoutErrors",
        "source": "span_error_rate",
        "params": {"service": "checkout", "window_s": 600},
        "comparator": ">",
        "threshold": 0.2,
    }
    slow = {
        **RULE,
        "name": "CheckoutSlow",
        "source": "span_latency_percentile",
        "params": {"service": "checkout", "percentile": 95, "window_s": 600},
        "comparator": ">",
        "threshold": 500,
    }
    quiet = {
        **RULE,
        "name": "SearchErrors",
        "source": "span_error_rate",
        "params": {"service": "search"},
        "threshold": 0.2,
        "no_data": "nodata",
    }
    ids = []
    for rule in (errors, slow, quiet):
        r = await client.post("/api/alerting/rules", json=rule, headers=admin_headers)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    await _tick(db)
    states = [
        (await client.get(f"/api/alerting/rules/{i}", headers=admin_headers)).json() for i in ids
    ]
    assert states[0]["state"] == "firing" and states[0]["last_value"] == 0.25
    assert states[1]["state"] == "firing" and states[1]["last_value"] > 500
    assert states[2]["state"] == "nodata" and states[2]["last_value"] is None


async def test_anomaly_rule_learns_a_baseline_then_fires_on_a_jump(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H, db: Database
) -> None:
    rule = {
        **RULE,
        "name": "CriticalJump",
        "condition": "anomaly",
        "comparator": ">",
        "threshold": 3,
    }
    rule_id = (await client.post("/api/alerting/rules", json=rule, headers=admin_headers)).json()[
        "id"
    ]
    await client.post("/api/alerts", json=critical("steady"), headers=ingest_headers)
    for _ in range(10):
        await _tick(db)
    got = (await client.get(f"/api/alerting/rules/{rule_id}", headers=admin_headers)).json()
    assert got["state"] == "normal" and got["condition"] == "anomaly"
    for n in range(5):
        await client.post("/api/alerts", json=critical(f"storm-{n}"), headers=ingest_headers)
    await _tick(db)
    got = (await client.get(f"/api/alerting/rules/{rule_id}", headers=admin_headers)).json()
    assert got["state"] == "firing" and got["last_value"] == 6
