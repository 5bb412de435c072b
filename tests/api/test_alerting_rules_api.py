"""Custom alert rules through the API, evaluated as the worker does, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
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


async def test_sources_list_says_what_is_not_wired(
    client: httpx.AsyncClient, login_as: UserFactory
) -> None:
    viewer = await login_as("viewer")
    got = {
        s["name"]: s["wired"]
        for s in (await client.get("/api/alerting/rule-sources", headers=viewer)).json()
    }
    assert got["open_alerts"] and got["alert_count"]
    assert got["span_error_rate"] is False and got["log_count"] is False


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"source": "span_error_rate"}, 400),
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
