"""The brief's alert API, config CRUD and the lifecycle, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from sentinel.alerting.models import (
    Alert,
    AlertEvent,
    AlertRoute,
    InhibitionRule,
    MaintenanceWindow,
    Silence,
)
from sentinel.storage.engine import Database
from tests.conftest import UserFactory

BRIEF = {
    "service_name": "my-service",
    "alert_name": "high_latency",
    "alert_type": "threshold",
    "severity": "high",
    "title": "High latency detected",
    "description": "P95 latency exceeded 1000ms",
    "current_value": 1250.0,
    "threshold_value": 1000.0,
}
H = dict[str, str]


async def _count(db: Database, model: Any) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def _kinds(client: httpx.AsyncClient, headers: H, alert_id: int) -> list[str]:
    r = await client.get(f"/api/alerts/{alert_id}/events", headers=headers)
    assert r.status_code == 200, r.text
    return [e["kind"] for e in r.json()]


async def test_brief_example_creates_then_dedups(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H
) -> None:
    r = await client.post("/api/alerts", json=BRIEF, headers=ingest_headers)
    assert r.status_code == 201, r.text
    alert = r.json()
    assert alert["status"] == "firing" and alert["severity"] == "high"
    assert alert["labels"] == {"alertname": "high_latency", "service": "my-service"}
    again = await client.post(
        "/api/alerts", json={**BRIEF, "current_value": 1400.0}, headers=ingest_headers
    )
    assert again.status_code == 200
    assert again.json()["id"] == alert["id"]
    assert again.json()["count"] == 2 and again.json()["current_value"] == 1400.0
    minimal = {"service_name": "my-service", "alert_name": "high_latency", "severity": "high"}
    third = (await client.post("/api/alerts", json=minimal, headers=ingest_headers)).json()
    assert third["count"] == 3 and third["title"] == "High latency detected"
    assert third["description"] == BRIEF["description"] and third["current_value"] == 1400.0
    kinds = await _kinds(client, admin_headers, alert["id"])
    assert kinds == ["fired", "grouped", "routed"]
    active = await client.get("/api/alerts/active", headers=admin_headers)
    assert [a["id"] for a in active.json()["items"]] == [alert["id"]]


async def test_acknowledge_resolve_and_reopen_as_new_occurrence(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H, login_as: UserFactory
) -> None:
    alert_id = (await client.post("/api/alerts", json=BRIEF, headers=ingest_headers)).json()["id"]
    responder = await login_as("responder")
    r = await client.post(f"/api/alerts/{alert_id}/acknowledge", headers=responder)
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    r = await client.post(f"/api/alerts/{alert_id}/resolve", headers=responder)
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    r = await client.post("/api/alerts", json=BRIEF, headers=ingest_headers)
    assert r.status_code == 200 and r.json()["action"] == "reopened"
    assert r.json()["occurrences"] == 2 and r.json()["count"] == 1
    occ = (await client.get(f"/api/alerts/{alert_id}/occurrences", headers=admin_headers)).json()
    assert len(occ) == 2 and occ[0]["acknowledged_at"] and occ[0]["resolved_at"]
    assert occ[1]["resolved_at"] is None
    stats = (await client.get("/api/alerts/statistics", headers=admin_headers)).json()
    assert stats["mtta_seconds"]["count"] == 1 and stats["mttr_seconds"]["count"] == 1
    assert stats["by_severity"] == {"high": 1} and stats["open_alerts"] == 1
    assert stats["top_noisy"][0] == {
        "alert_name": "high_latency",
        "service": "my-service",
        "occurrences": 2,
    }


async def test_resolve_while_silenced_still_emits_the_resolve(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H
) -> None:
    alert_id = (await client.post("/api/alerts", json=BRIEF, headers=ingest_headers)).json()["id"]
    r = await client.post(
        f"/api/alerts/{alert_id}/silence", json={"duration_minutes": 30}, headers=admin_headers
    )
    assert r.status_code == 200 and r.json()["status"] == "silenced"
    assert r.json()["muted_by"].startswith("silence:")
    r = await client.post(f"/api/alerts/{alert_id}/resolve", headers=admin_headers)
    assert r.json()["status"] == "resolved"
    events = (await client.get(f"/api/alerts/{alert_id}/events", headers=admin_headers)).json()
    assert [e["kind"] for e in events] == ["fired", "grouped", "routed", "silenced", "resolved"]
    assert events[-1]["detail"]["was_muted"].startswith("silence:")


async def test_silence_by_matcher_mutes_new_alerts_and_expiring_it_unmutes(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H
) -> None:
    r = await client.post(
        "/api/alerting/silences",
        json={
            "matchers": ['service=~"my-.*"'],
            "ends_at": "2099-01-01T00:00:00Z",
            "comment": "deploy",
        },
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    silence_id = r.json()["id"]
    alert = (await client.post("/api/alerts", json=BRIEF, headers=ingest_headers)).json()
    assert alert["status"] == "silenced"
    r = await client.delete(f"/api/alerting/silences/{silence_id}", headers=admin_headers)
    assert r.status_code == 200 and r.json()["state"] == "expired"
    again = (await client.get(f"/api/alerts/{alert['id']}", headers=admin_headers)).json()
    assert again["status"] == "firing" and again["muted_by"] is None
    kinds = await _kinds(client, admin_headers, alert["id"])
    assert kinds[-1] == "unsilenced" and "routed" not in kinds


async def test_inhibition_rule_mutes_target_while_source_fires(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H
) -> None:
    r = await client.post(
        "/api/alerting/inhibition-rules",
        json={
            "name": "cluster down",
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity=~"high|medium"'],
            "equal": ["cluster"],
        },
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    src = {
        **BRIEF,
        "alert_name": "ClusterDown",
        "severity": "critical",
        "labels": {"cluster": "eu"},
    }
    await client.post("/api/alerts", json=src, headers=ingest_headers)
    eu = (
        await client.post(
            "/api/alerts", json={**BRIEF, "labels": {"cluster": "eu"}}, headers=ingest_headers
        )
    ).json()
    us = (
        await client.post(
            "/api/alerts", json={**BRIEF, "labels": {"cluster": "us"}}, headers=ingest_headers
        )
    ).json()
    assert eu["status"] == "silenced" and eu["muted_by"].startswith("inhibition:")
    assert us["status"] == "firing"


async def test_routes_pick_receiver_and_team_and_group(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H
) -> None:
    r = await client.post(
        "/api/alerting/routes",
        json={
            "name": "payments",
            "matchers": ['service="payments"'],
            "receiver": "pay-oncall",
            "team_id": 7,
            "group_by": ["alertname"],
            "group_wait_s": 5,
        },
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    a = (
        await client.post(
            "/api/alerts",
            json={**BRIEF, "service_name": "payments", "labels": {"instance": "a"}},
            headers=ingest_headers,
        )
    ).json()
    b = (
        await client.post(
            "/api/alerts",
            json={**BRIEF, "service_name": "payments", "labels": {"instance": "b"}},
            headers=ingest_headers,
        )
    ).json()
    assert a["group_id"] == b["group_id"]
    group = (await client.get(f"/api/alerts/groups/{a['group_id']}", headers=admin_headers)).json()
    assert group["receiver"] == "pay-oncall" and group["team_id"] == 7
    assert group["alert_count"] == 2 and group["group_wait_s"] == 5
    events = (await client.get(f"/api/alerts/{a['id']}/events", headers=admin_headers)).json()
    routed = next(e for e in events if e["kind"] == "routed")
    assert routed["detail"]["receiver"] == "pay-oncall"
    audit = await client.get("/api/audit", headers=admin_headers)
    if audit.status_code == 200:
        assert any(e["action"] == "alert_route.create" for e in audit.json()["items"])


async def test_fatigue_flags_a_flapping_alert(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H
) -> None:
    alert_id = 0
    for _ in range(12):
        alert_id = (
            await client.post(
                "/api/alerts", json={**BRIEF, "severity": "low"}, headers=ingest_headers
            )
        ).json()["id"]
        await client.post(f"/api/alerts/{alert_id}/resolve", headers=admin_headers)
    report = (await client.get("/api/alerts/fatigue", headers=admin_headers)).json()
    assert report["flapping"][0]["alert_id"] == alert_id
    rule = report["rules"][0]
    assert rule["key"] == "high_latency" and rule["fires"] == 12 and rule["score"] >= 50
    assert any(r["action"].startswith("add for: ") for r in rule["recommendations"])


@pytest.mark.parametrize(
    "body",
    [
        {**BRIEF, "severity": "catastrophic"},
        {k: v for k, v in BRIEF.items() if k != "alert_name"},
        {**BRIEF, "service_name": ""},
        {**BRIEF, "labels": {"bad-name": "x"}},
        {**BRIEF, "current_value": "lots"},
    ],
)
async def test_bad_alerts_are_rejected_and_change_nothing(
    client: httpx.AsyncClient, ingest_headers: H, db: Database, body: dict[str, Any]
) -> None:
    r = await client.post("/api/alerts", json=body, headers=ingest_headers)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await _count(db, Alert) == 0 and await _count(db, AlertEvent) == 0


WINDOW = {"name": "x", "weekdays": [0, 1, 2, 3, 4, 5, 6], "start_time": "00:00"}
FOREVER = "2099-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("path", "body", "said"),
    [
        ("/api/alerting/silences", {"matchers": ['a=~"("'], "ends_at": FOREVER}, "invalid regex"),
        ("/api/alerting/silences", {"matchers": ["{a="], "ends_at": FOREVER}, "unbalanced"),
        ("/api/alerting/silences", {"matchers": ["a=b"], "ends_at": "2000-01-01T00:00:00Z"}, ""),
        # Matchers that also match the empty string would mute every alert without
        # those labels, i.e. nearly all of them; Alertmanager refuses them too.
        ("/api/alerting/silences", {"matchers": ["{}"], "ends_at": FOREVER}, "empty string"),
        ("/api/alerting/silences", {"matchers": ['a!="x"'], "ends_at": FOREVER}, "empty string"),
        (
            "/api/alerting/silences",
            {"matchers": ['a=~".*"', 'b=""'], "ends_at": FOREVER},
            "empty string",
        ),
        ("/api/alerting/routes", {"name": "x", "matchers": ['x=~"[z-a]"']}, "invalid regex"),
        ("/api/alerting/routes", {"name": "x", "parent_id": 999}, "999"),
        (
            "/api/alerting/inhibition-rules",
            {"name": "x", "source_matchers": ["a!~*"], "target_matchers": ["b=c"]},
            "invalid regex",
        ),
        (
            "/api/alerting/inhibition-rules",
            {
                "name": "x",
                "source_matchers": ["a=b"],
                "target_matchers": ["b=c"],
                "equal": ["bad-name"],
            },
            "'bad-name' is not a valid label name",
        ),
        (
            "/api/alerting/maintenance-windows",
            {**WINDOW, "matchers": ["a=b"], "weekdays": [7], "duration_s": 60},
            "weekdays",
        ),
        (
            "/api/alerting/maintenance-windows",
            {**WINDOW, "matchers": ['service!="none"'], "duration_s": 86400},
            "empty string",
        ),
    ],
)
async def test_invalid_matchers_and_config_get_4xx(
    client: httpx.AsyncClient,
    ingest_headers: H,
    admin_headers: H,
    db: Database,
    path: str,
    body: dict[str, Any],
    said: str,
) -> None:
    alert = (await client.post("/api/alerts", json=BRIEF, headers=ingest_headers)).json()
    r = await client.post(path, json=body, headers=admin_headers)
    assert r.status_code in (400, 422), r.text
    assert said in r.json()["detail"]
    for model in (Silence, AlertRoute, InhibitionRule, MaintenanceWindow):
        assert await _count(db, model) == 0, model
    got = (await client.get(f"/api/alerts/{alert['id']}", headers=admin_headers)).json()
    assert got["status"] == "firing" and got["muted_by"] is None


ENDPOINTS = [
    ("GET", "/api/alerts"),
    ("GET", "/api/alerts/active"),
    ("GET", "/api/alerts/statistics"),
    ("GET", "/api/alerts/fatigue"),
    ("GET", "/api/alerts/events"),
    ("GET", "/api/alerts/groups"),
    ("GET", "/api/alerting/routes"),
    ("GET", "/api/alerting/silences"),
    ("GET", "/api/alerting/inhibition-rules"),
    ("GET", "/api/alerting/maintenance-windows"),
]


async def test_reads_need_auth_and_work_for_viewers(
    client: httpx.AsyncClient, login_as: UserFactory
) -> None:
    viewer = await login_as("viewer")
    for method, path in ENDPOINTS:
        assert (await client.request(method, path)).status_code == 401, path
        assert (await client.request(method, path, headers=viewer)).status_code == 200, path


async def test_roles_are_enforced_and_missing_things_are_404(
    client: httpx.AsyncClient,
    login_as: UserFactory,
    key_with: UserFactory,
    admin_headers: H,
    ingest_headers: H,
) -> None:
    viewer = await login_as("viewer")
    responder = await login_as("responder")
    reader_key = await key_with("read")
    assert (await client.post("/api/alerts", json=BRIEF)).status_code == 401
    assert (await client.post("/api/alerts", json=BRIEF, headers=reader_key)).status_code == 403
    alert_id = (await client.post("/api/alerts", json=BRIEF, headers=ingest_headers)).json()["id"]
    for action in ("acknowledge", "resolve", "silence"):
        path = f"/api/alerts/{alert_id}/{action}"
        assert (await client.post(path)).status_code == 401
        assert (await client.post(path, headers=viewer)).status_code == 403
        assert (await client.post(path, headers=ingest_headers)).status_code == 403
        assert (
            await client.post(f"/api/alerts/999999/{action}", headers=responder)
        ).status_code == 404
    route = {"name": "r", "matchers": ["a=b"]}
    assert (
        await client.post("/api/alerting/routes", json=route, headers=responder)
    ).status_code == 403
    assert (
        await client.post("/api/alerting/routes", json=route, headers=admin_headers)
    ).status_code == 201
    for path in (
        "/api/alerts/999999",
        "/api/alerts/999999/events",
        "/api/alerts/groups/999999",
        "/api/alerting/routes/999999",
        "/api/alerting/silences/nope",
        "/api/alerting/inhibition-rules/999999",
    ):
        assert (await client.get(path, headers=viewer)).status_code == 404, path


async def test_maintenance_window_mutes_while_open_and_deleting_it_unmutes(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H
) -> None:
    opened = (datetime.now(UTC) - timedelta(hours=1)).strftime("%H:%M")
    r = await client.post(
        "/api/alerting/maintenance-windows",
        json={
            "name": "now",
            "matchers": ['service="my-service"'],
            "weekdays": [0, 1, 2, 3, 4, 5, 6],
            "start_time": opened,
            "duration_s": 3 * 3600,
        },
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    alert = (await client.post("/api/alerts", json=BRIEF, headers=ingest_headers)).json()
    assert alert["status"] == "silenced" and alert["muted_by"].startswith("maintenance:")
    assert (
        await client.delete(
            f"/api/alerting/maintenance-windows/{r.json()['id']}", headers=admin_headers
        )
    ).status_code == 204
    got = (await client.get(f"/api/alerts/{alert['id']}", headers=admin_headers)).json()
    assert got["status"] == "firing"


async def test_route_update_and_delete_change_where_new_alerts_go(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H
) -> None:
    route = {"name": "svc", "matchers": ['service="my-service"'], "receiver": "first"}
    route_id = (
        await client.post("/api/alerting/routes", json=route, headers=admin_headers)
    ).json()["id"]
    r = await client.put(
        f"/api/alerting/routes/{route_id}",
        json={**route, "receiver": "second"},
        headers=admin_headers,
    )
    assert r.status_code == 200 and r.json()["receiver"] == "second"
    assert (
        await client.put(
            f"/api/alerting/routes/{route_id}",
            json={**route, "parent_id": route_id},
            headers=admin_headers,
        )
    ).status_code == 400  # a cycle
    a = (await client.post("/api/alerts", json=BRIEF, headers=ingest_headers)).json()
    group = (await client.get(f"/api/alerts/groups/{a['group_id']}", headers=admin_headers)).json()
    assert group["receiver"] == "second" and group["route_id"] == route_id
    assert (
        await client.delete(f"/api/alerting/routes/{route_id}", headers=admin_headers)
    ).status_code == 204
    other = (
        await client.post(
            "/api/alerts", json={**BRIEF, "alert_name": "other"}, headers=ingest_headers
        )
    ).json()
    group = (
        await client.get(f"/api/alerts/groups/{other['group_id']}", headers=admin_headers)
    ).json()
    assert group["route_id"] is None and group["receiver"] == "default"
    assert (
        await client.get(f"/api/alerting/routes/{route_id}", headers=admin_headers)
    ).status_code == 404


async def test_smart_grouping_joins_a_dependency_neighbour_and_says_why(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H
) -> None:
    now = datetime.now(UTC)
    trace = (
        await client.post(
            "/api/tracing/traces",
            json={
                "service_name": "frontend",
                "operation_name": "GET /",
                "start_time": (now - timedelta(seconds=20)).isoformat(),
                "end_time": (now - timedelta(seconds=19)).isoformat(),
            },
            headers=ingest_headers,
        )
    ).json()
    r = await client.post(
        "/api/tracing/spans",
        json={
            "trace_id": trace["trace_id"],
            "parent_span_id": trace["span_id"],
            "service_name": "inventory",
            "operation_name": "lookup",
            "kind": "server",
            "start_time": (now - timedelta(seconds=20)).isoformat(),
            "end_time": (now - timedelta(seconds=19, microseconds=500_000)).isoformat(),
        },
        headers=ingest_headers,
    )
    assert r.status_code == 201, r.text
    first = (
        await client.post(
            "/api/alerts",
            json={**BRIEF, "service_name": "frontend", "alert_name": "FrontendSlow"},
            headers=ingest_headers,
        )
    ).json()
    second = (
        await client.post(
            "/api/alerts",
            json={
                **BRIEF,
                "service_name": "inventory",
                "alert_name": "DiskFull",
                "title": "Disk almost full",
            },
            headers=ingest_headers,
        )
    ).json()
    assert second["group_id"] == first["group_id"]
    events = (await client.get(f"/api/alerts/{second['id']}/events", headers=admin_headers)).json()
    grouped = next(e for e in events if e["kind"] == "grouped")
    assert "dependency neighbour" in grouped["detail"]["reason"]


async def test_inhibition_rule_and_window_updates_apply_at_once(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H, login_as: UserFactory
) -> None:
    rule = {
        "name": "r",
        "source_matchers": ['alertname="ClusterDown"'],
        "target_matchers": ['severity="high"'],
        "equal": ["cluster"],
    }
    rule_id = (
        await client.post("/api/alerting/inhibition-rules", json=rule, headers=admin_headers)
    ).json()["id"]
    src = {
        **BRIEF,
        "alert_name": "ClusterDown",
        "severity": "critical",
        "labels": {"cluster": "eu"},
    }
    await client.post("/api/alerts", json=src, headers=ingest_headers)
    target = (
        await client.post(
            "/api/alerts", json={**BRIEF, "labels": {"cluster": "eu"}}, headers=ingest_headers
        )
    ).json()
    assert target["status"] == "silenced"
    responder = await login_as("responder")
    changed = {**rule, "target_matchers": ['severity="low"']}
    assert (
        await client.put(
            f"/api/alerting/inhibition-rules/{rule_id}", json=changed, headers=responder
        )
    ).status_code == 403
    r = await client.put(
        f"/api/alerting/inhibition-rules/{rule_id}", json=changed, headers=admin_headers
    )
    assert r.status_code == 200 and r.json()["target_matchers"] == ['severity="low"']
    got = (await client.get(f"/api/alerts/{target['id']}", headers=admin_headers)).json()
    assert got["status"] == "firing"
    assert (
        await client.put(
            "/api/alerting/inhibition-rules/999999", json=changed, headers=admin_headers
        )
    ).status_code == 404
    window = {
        "name": "w",
        "matchers": ['service="none"'],
        "weekdays": [0],
        "start_time": "02:00",
        "duration_s": 60,
    }
    window_id = (
        await client.post("/api/alerting/maintenance-windows", json=window, headers=admin_headers)
    ).json()["id"]
    r = await client.put(
        f"/api/alerting/maintenance-windows/{window_id}",
        json={**window, "time_zone": "Asia/Tokyo"},
        headers=admin_headers,
    )
    assert r.status_code == 200 and r.json()["time_zone"] == "Asia/Tokyo"
    bad = await client.put(
        f"/api/alerting/maintenance-windows/{window_id}",
        json={**window, "time_zone": "Mars/Olympus"},
        headers=admin_headers,
    )
    assert bad.status_code == 422
    got = (
        await client.get(f"/api/alerting/maintenance-windows/{window_id}", headers=admin_headers)
    ).json()
    assert got["time_zone"] == "Asia/Tokyo"
