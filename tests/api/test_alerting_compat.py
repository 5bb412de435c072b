"""Wire compatibility: Alertmanager v2 (alerts, silences, status), the Alertmanager
webhook, PagerDuty Events v2 and the generic webhook."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from sentinel.alerting import lifecycle
from sentinel.alerting.models import Alert, Silence
from sentinel.storage.engine import Database
from tests.conftest import INGEST_KEY, UserFactory

H = dict[str, str]


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def prom_alert(name: str, instance: str, ends_in: float = 240, **labels: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": name, "instance": instance, "job": "node", **labels},
        "annotations": {"summary": f"{name} on {instance}"},
        "startsAt": iso(now - timedelta(minutes=1)),
        "endsAt": iso(now + timedelta(seconds=ends_in)),
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
    }


async def _count(db: Database) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(Alert)) or 0)


async def test_prometheus_push_dedups_by_labels_and_resolves_on_past_ends_at(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H
) -> None:
    batch = [prom_alert("InstanceDown", f"node-{i}", severity="critical") for i in range(3)]
    r = await client.post("/api/v2/alerts", json=batch, headers=ingest_headers)
    assert r.status_code == 200, r.text
    r = await client.post("/api/v2/alerts", json=batch, headers=ingest_headers)
    got = (await client.get("/api/v2/alerts", headers=admin_headers)).json()
    assert len(got) == 3
    first = next(a for a in got if a["labels"]["instance"] == "node-0")
    assert first["status"] == {"state": "active", "silencedBy": [], "inhibitedBy": []}
    assert first["receivers"] == [{"name": "default"}] and len(first["fingerprint"]) == 16
    mine = (await client.get("/api/alerts?source=alertmanager", headers=admin_headers)).json()
    assert {a["count"] for a in mine["items"]} == {2}
    assert {a["severity"] for a in mine["items"]} == {"critical"}
    resolved = prom_alert("InstanceDown", "node-0", ends_in=-5, severity="critical")
    await client.post("/api/v2/alerts", json=[resolved], headers=ingest_headers)
    filtered = await client.get(
        "/api/v2/alerts", params={"filter": 'instance=~"node-[01]"'}, headers=admin_headers
    )
    assert [a["labels"]["instance"] for a in filtered.json()] == ["node-1"]


async def test_alert_that_stops_being_resent_resolves_after_its_ends_at(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H, db: Database
) -> None:
    no_end = prom_alert("Stale", "a")
    del no_end["endsAt"]
    await client.post(
        "/api/v2/alerts", json=[prom_alert("Fresh", "b"), no_end], headers=ingest_headers
    )
    async with db.transaction() as s:
        later = datetime.now(UTC) + timedelta(seconds=250)  # past Fresh's endsAt only
        assert await lifecycle.resolve_expired(s, later) == 1
    async with db.transaction() as s:
        much_later = datetime.now(UTC) + timedelta(minutes=10)  # past the resolve timeout
        assert await lifecycle.resolve_expired(s, much_later) == 1
    items = (await client.get("/api/alerts", headers=admin_headers)).json()["items"]
    assert {a["status"] for a in items} == {"resolved"}
    events = await client.get(f"/api/alerts/{items[0]['id']}/events", headers=admin_headers)
    assert events.json()[-1]["actor"] == "resolve-timeout"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"{}",
        b'[{"labels": {}}]',
        b'[{"labels": {"alertname": ""}}]',
        b'[{"labels": {"bad-name": "x"}}]',
        b'[{"annotations": {"a": "b"}}]',
        b'[{"labels": {"a": "b"}, "startsAt": "2026-01-02T00:00:00Z",'
        b' "endsAt": "2026-01-01T00:00:00Z"}]',
        b'[{"labels": {"a": "b"}, "startsAt": "yesterday"}]',
    ],
)
async def test_malformed_alertmanager_batches_are_400_and_store_nothing(
    client: httpx.AsyncClient, ingest_headers: H, db: Database, body: bytes
) -> None:
    good = prom_alert("Good", "x")

    if body.startswith(b"[{"):  # a good alert beside the bad one is not stored either
        body = b"[" + json.dumps(good).encode() + b"," + body[1:]
    r = await client.post(
        "/api/v2/alerts",
        content=body,
        headers={**ingest_headers, "Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422), r.text
    assert r.json()["detail"]
    assert await _count(db) == 0


async def test_alertmanager_auth(client: httpx.AsyncClient, key_with: UserFactory) -> None:
    body = [prom_alert("A", "b")]
    assert (await client.post("/api/v2/alerts", json=body)).status_code == 401
    reader = await key_with("read")
    assert (await client.post("/api/v2/alerts", json=body, headers=reader)).status_code == 403
    assert (await client.get("/api/v2/alerts")).status_code == 401
    assert (await client.get("/api/v2/silences")).status_code == 401
    assert (await client.get("/api/v2/status", headers=reader)).status_code == 200


async def test_silences_api_in_alertmanager_shapes(
    client: httpx.AsyncClient,
    ingest_headers: H,
    admin_headers: H,
    login_as: UserFactory,
    db: Database,
) -> None:
    now = datetime.now(UTC)
    silence = {
        "matchers": [{"name": "alertname", "value": "Noisy.*", "isRegex": True, "isEqual": True}],
        "startsAt": iso(now),
        "endsAt": iso(now + timedelta(hours=1)),
        "createdBy": "amtool",
        "comment": "maintenance",
    }
    viewer = await login_as("viewer")
    assert (await client.post("/api/v2/silences", json=silence, headers=viewer)).status_code == 403
    r = await client.post("/api/v2/silences", json=silence, headers=admin_headers)
    assert r.status_code == 200, r.text
    sid = r.json()["silenceID"]
    await client.post("/api/v2/alerts", json=[prom_alert("NoisyDisk", "a")], headers=ingest_headers)
    [alert] = (await client.get("/api/v2/alerts", headers=admin_headers)).json()
    assert alert["status"]["state"] == "suppressed" and alert["status"]["silencedBy"] == [sid]
    got = (await client.get(f"/api/v2/silence/{sid}", headers=viewer)).json()
    assert got["status"]["state"] == "active" and got["matchers"][0]["isRegex"] is True
    assert got["createdBy"] == "amtool" and got["comment"] == "maintenance"
    listed = (await client.get("/api/v2/silences", headers=viewer)).json()
    assert [s["id"] for s in listed] == [sid]
    assert (await client.delete(f"/api/v2/silence/{sid}", headers=viewer)).status_code == 403
    assert (await client.delete(f"/api/v2/silence/{sid}", headers=admin_headers)).status_code == 200
    got = (await client.get(f"/api/v2/silence/{sid}", headers=viewer)).json()
    assert got["status"]["state"] == "expired"
    [alert] = (await client.get("/api/v2/alerts", headers=admin_headers)).json()
    assert alert["status"]["state"] == "active"
    assert (await client.get("/api/v2/silence/nope", headers=viewer)).status_code == 404
    for bad in (
        {**silence, "matchers": [{"name": "a", "value": "(", "isRegex": True}]},
        {**silence, "matchers": [{"name": "a", "value": ".*", "isRegex": True}]},
        {**silence, "matchers": []},
        {**silence, "endsAt": iso(now - timedelta(hours=1))},
        {**silence, "comment": ""},
    ):
        r = await client.post("/api/v2/silences", json=bad, headers=admin_headers)
        assert r.status_code in (400, 422), bad
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Silence)) == 1


async def test_alertmanager_webhook_receiver(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H
) -> None:
    msg = {
        "version": "4",
        "status": "firing",
        "receiver": "sentinel",
        "groupKey": "{}:{}",
        "alerts": [{"status": "firing", **prom_alert("DiskFull", "db-1")}],
    }
    r = await client.post("/api/integrations/alertmanager", json=msg, headers=ingest_headers)
    assert r.status_code == 200 and r.json()["results"] == {"new": 1}
    msg["alerts"][0]["status"] = "resolved"
    r = await client.post("/api/integrations/alertmanager", json=msg, headers=ingest_headers)
    assert r.json()["results"] == {"resolve": 1}
    assert (
        await client.post(
            "/api/integrations/alertmanager", json={"alerts": "x"}, headers=ingest_headers
        )
    ).status_code == 400
    assert (await client.post("/api/integrations/alertmanager", json=msg)).status_code == 401


def pd(action: str, dedup_key: str | None = None, **payload: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"routing_key": INGEST_KEY, "event_action": action}
    if dedup_key:
        body["dedup_key"] = dedup_key
    if action == "trigger":
        body["payload"] = {
            "summary": "DB is down",
            "source": "db-1",
            "severity": "critical",
            "component": "postgres",
            **payload,
        }
    return body


async def test_pagerduty_trigger_acknowledge_resolve_by_dedup_key(
    client: httpx.AsyncClient, admin_headers: H
) -> None:
    r = await client.post("/v2/enqueue", json=pd("trigger", "db-down-1"))
    assert r.status_code == 202
    assert r.json() == {"status": "success", "message": "Event processed", "dedup_key": "db-down-1"}
    [alert] = (await client.get("/api/alerts/active", headers=admin_headers)).json()["items"]
    assert alert["severity"] == "critical" and alert["service"] == "postgres"
    assert alert["title"] == "DB is down"
    r = await client.post("/v2/enqueue", json=pd("acknowledge", "db-down-1"))
    assert r.status_code == 202
    got = (await client.get(f"/api/alerts/{alert['id']}", headers=admin_headers)).json()
    assert got["status"] == "acknowledged"
    r = await client.post("/v2/enqueue", json=pd("resolve", "db-down-1"))
    got = (await client.get(f"/api/alerts/{alert['id']}", headers=admin_headers)).json()
    assert got["status"] == "resolved"
    r = await client.post("/v2/enqueue", json=pd("trigger"))
    assert r.status_code == 202 and len(r.json()["dedup_key"]) == 32


async def test_pagerduty_routing_key_names_the_integration_and_selects_the_route(
    client: httpx.AsyncClient, admin_headers: H
) -> None:
    created = await client.post(
        "/api/api-keys", headers=admin_headers, json={"name": "grafana", "scopes": ["ingest"]}
    )
    assert created.status_code == 201, created.text
    route = {"name": "grafana", "matchers": ['integration="key:grafana"'], "receiver": "graf"}
    r = await client.post("/api/alerting/routes", json=route, headers=admin_headers)
    assert r.status_code == 201, r.text
    grafana = {**pd("trigger", "g-1"), "routing_key": created.json()["key"]}
    assert (await client.post("/v2/enqueue", json=grafana)).status_code == 202
    assert (await client.post("/v2/enqueue", json=pd("trigger", "other-1"))).status_code == 202
    alerts = (await client.get("/api/alerts/active", headers=admin_headers)).json()["items"]
    receivers = {}
    for alert in alerts:
        group = await client.get(f"/api/alerts/groups/{alert['group_id']}", headers=admin_headers)
        receivers[alert["labels"]["dedup_key"]] = group.json()["receiver"]
    assert receivers == {"g-1": "graf", "other-1": "default"}


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({**pd("trigger"), "routing_key": "snt_wrong_key_0123456789abcdefgh"}, "routing_key"),
        ({k: v for k, v in pd("trigger").items() if k != "routing_key"}, "routing_key"),
        (pd("trigger", severity="catastrophic"), "payload.severity"),
        (pd("trigger", summary=""), "payload.summary"),
        (pd("acknowledge"), "dedup_key"),
        ({**pd("trigger"), "event_action": "explode"}, "event_action"),
    ],
)
async def test_pagerduty_rejects_bad_events_with_its_errors_list(
    client: httpx.AsyncClient, db: Database, body: dict[str, Any], needle: str
) -> None:
    r = await client.post("/v2/enqueue", json=body)
    assert r.status_code == 400
    assert r.json()["status"] == "invalid event"
    assert any(needle in e for e in r.json()["errors"]), r.json()
    assert await _count(db) == 0


async def test_generic_webhook_with_the_key_in_the_path(
    client: httpx.AsyncClient, admin_headers: H, key_with: UserFactory, db: Database
) -> None:
    body = {"alert_name": "backup_failed", "service_name": "cron", "severity": "high"}
    r = await client.post(f"/api/integrations/webhook/{INGEST_KEY}", json=body)
    assert r.status_code == 202 and r.json()["alerts"][0]["action"] == "new"
    r = await client.post(
        f"/api/integrations/webhook/{INGEST_KEY}", json=[{**body, "status": "resolved"}]
    )
    assert r.json()["alerts"][0]["action"] == "resolve"
    assert (
        await client.post("/api/integrations/webhook/snt_nope_0123456789abcdefghij", json=body)
    ).status_code == 401
    reader = (await key_with("read"))["Authorization"].split()[1]
    assert (await client.post(f"/api/integrations/webhook/{reader}", json=body)).status_code == 403
    r = await client.post(
        f"/api/integrations/webhook/{INGEST_KEY}", json={**body, "severity": "catastrophic"}
    )
    assert r.status_code == 400
    assert await _count(db) == 1
