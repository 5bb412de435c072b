"""Merging, deleting, severity escalation and auto-resolve of incidents (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from sentinel.incidents.automation import consume_alert_events
from sentinel.incidents.config import IncidentSettings
from sentinel.incidents.operations import auto_resolve
from sentinel.storage.engine import Database
from tests.conftest import UserFactory

H = dict[str, str]
SETTINGS = IncidentSettings(gap_settle_seconds=0)


def _alert(service: str, name: str, severity: str) -> dict[str, Any]:
    return {"service_name": service, "alert_name": name, "severity": severity, "title": name}


async def _fire(client: httpx.AsyncClient, ingest: H, service: str, name: str, sev: str) -> int:
    r = await client.post("/api/alerts", json=_alert(service, name, sev), headers=ingest)
    assert r.status_code == 201, r.text
    alert_id: int = r.json()["id"]
    return alert_id


async def _open(client: httpx.AsyncClient, headers: H, **body: Any) -> dict[str, Any]:
    r = await client.post("/api/incidents", json={"title": "t", **body}, headers=headers)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


async def _timeline(client: httpx.AsyncClient, headers: H, iid: int) -> list[dict[str, Any]]:
    r = await client.get(f"/api/incidents/{iid}/timeline", headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def _consume(db: Database, now: datetime | None = None) -> None:
    while True:
        async with db.transaction() as s:
            if not await consume_alert_events(s, now or datetime.now(UTC), SETTINGS):
                return


async def test_merge_moves_alerts_timeline_and_people_and_closes_the_source(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H, login_as: UserFactory
) -> None:
    a1 = await _fire(client, ingest_headers, "checkout", "checkout_5xx", "high")
    a2 = await _fire(client, ingest_headers, "payments", "payments_down", "critical")
    target = await _open(
        client, admin_headers, title="Checkout errors", severity="high", alert_ids=[a1]
    )
    source = await _open(
        client,
        admin_headers,
        title="Payments down",
        severity="critical",
        alert_ids=[a2, a1],
        commander="Ben",
    )
    tid, sid = target["id"], source["id"]
    responder = await login_as("responder")
    viewer = await login_as("viewer")
    await client.post(
        f"/api/incidents/{sid}/updates", json={"message": "db pool"}, headers=responder
    )
    await client.post(
        f"/api/incidents/{sid}/assign", json={"name": "Cleo", "role": "scribe"}, headers=responder
    )
    source_entries = [e["id"] for e in await _timeline(client, admin_headers, sid)]

    merge = f"/api/incidents/{tid}/merge"
    assert (await client.post(merge, json={"source_id": sid}, headers=viewer)).status_code == 403
    assert (await client.post(merge, json={"source_id": tid}, headers=responder)).status_code == 400
    assert (await client.post(merge, json={"source_id": 999}, headers=responder)).status_code == 404
    r = await client.post(merge, json={"source_id": sid}, headers=responder)
    assert r.status_code == 200, r.text
    merged = r.json()
    assert sorted(merged["alert_ids"]) == sorted([a1, a2])
    assert merged["affected_services"] == ["checkout", "payments"]
    assert merged["severity"] == "critical" and merged["commander"] == "Ben"
    assert {(p["name"], p["role"]) for p in merged["participants"]} == {
        ("Ben", "commander"),
        ("Cleo", "scribe"),
    }
    timeline = await _timeline(client, admin_headers, tid)
    ids = [e["id"] for e in timeline]
    assert ids == sorted(ids) and set(source_entries) <= set(ids)  # in order, interleaved
    assert (
        timeline[-1]["kind"] == "merge"
        and f"Incident {sid} (Payments down)" in (timeline[-1]["message"])
    )
    assert "severity raised high → critical" in timeline[-1]["message"]
    assert any(e["message"] == "db pool" for e in timeline)

    closed = (await client.get(f"/api/incidents/{sid}", headers=admin_headers)).json()
    assert closed["status"] == "closed" and closed["merged_into_id"] == tid
    assert closed["alert_ids"] == [] and closed["participants"] == []
    [entry] = await _timeline(client, admin_headers, sid)
    assert entry["kind"] == "merged" and entry["message"].startswith(f"Merged into incident {tid}")
    assert entry["author"] == timeline[-1]["author"] and entry["author"].startswith("responder-")

    again = await client.post(merge, json={"source_id": sid}, headers=responder)
    assert again.status_code == 409 and "closed" in again.json()["detail"]
    stats = (await client.get("/api/incidents/statistics", headers=admin_headers)).json()
    assert stats["total"] == 1  # the merged incident is counted in its target
    audit = (
        await client.get("/api/audit", headers=admin_headers, params={"action": "incident.merge"})
    ).json()
    assert audit["items"][0]["detail"]["source_id"] == sid


async def test_delete_is_for_admins_and_audited(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H, login_as: UserFactory
) -> None:
    alert = await _fire(client, ingest_headers, "search", "search_slow", "high")
    inc = await _open(client, admin_headers, title="Search slow", alert_ids=[alert])
    await client.post(
        f"/api/incidents/{inc['id']}/action-items", json={"title": "tune"}, headers=admin_headers
    )
    responder = await login_as("responder")
    url = f"/api/incidents/{inc['id']}"
    assert (await client.delete(url, headers=responder)).status_code == 403
    assert (await client.delete(url, headers=admin_headers)).status_code == 204
    assert (await client.get(url, headers=admin_headers)).status_code == 404
    assert (await client.get(f"{url}/timeline", headers=admin_headers)).status_code == 404
    assert (await client.delete(url, headers=admin_headers)).status_code == 404
    audit = (
        await client.get("/api/audit", headers=admin_headers, params={"action": "incident.delete"})
    ).json()["items"]
    assert audit[0]["target_id"] == str(inc["id"]) and audit[0]["detail"]["title"] == "Search slow"
    # The alert itself stays; it can open or join another incident.
    assert (await client.get(f"/api/alerts/{alert}", headers=admin_headers)).status_code == 200


async def test_a_more_severe_alert_raises_the_incident_severity(
    client: httpx.AsyncClient, db: Database, admin_headers: H, ingest_headers: H
) -> None:
    low = await _fire(client, ingest_headers, "api", "api_latency", "low")
    inc = await _open(client, admin_headers, title="API slow", severity="medium", alert_ids=[low])
    assert inc["severity"] == "medium"  # a less severe alert changes nothing
    critical = await _fire(client, ingest_headers, "api", "api_down", "critical")
    r = await client.post(
        f"/api/incidents/{inc['id']}/alerts", json={"alert_id": critical}, headers=admin_headers
    )
    assert r.status_code == 200 and r.json()["severity"] == "critical"
    entry = (await _timeline(client, admin_headers, inc["id"]))[-1]
    assert entry["kind"] == "severity" and entry["author"] == "admin@example.com"
    assert entry["message"] == (
        f"Severity raised medium → critical: alert {critical} (api_down) is critical"
    )
    assert entry["detail"] == {"from": "medium", "to": "critical", "alert_id": critical}

    # An alert-opened incident (high) is raised by a critical alert that attaches to it.
    await _fire(client, ingest_headers, "db", "db_slow", "high")
    await _consume(db)
    opened = [
        i
        for i in (await client.get("/api/incidents", headers=admin_headers)).json()["items"]
        if i["source"] == "alert"
    ]
    assert len(opened) == 1 and opened[0]["severity"] == "high"
    await _fire(client, ingest_headers, "db", "db_down", "critical")
    await _consume(db)
    raised = (await client.get(f"/api/incidents/{opened[0]['id']}", headers=admin_headers)).json()
    assert raised["severity"] == "critical" and len(raised["alert_ids"]) == 2
    kinds = [e["kind"] for e in await _timeline(client, admin_headers, raised["id"])]
    assert kinds == ["created", "alert", "alert", "severity"], kinds
    assert (await _timeline(client, admin_headers, raised["id"]))[-1]["author"] == "sentinel"


async def test_auto_resolve_by_policy_after_all_alerts_are_resolved(
    client: httpx.AsyncClient, db: Database, admin_headers: H, ingest_headers: H
) -> None:
    for name, minutes, service in (("auto", 5, "cache"), ("manual", None, "queue")):
        r = await client.post(
            "/api/incident-policies",
            json={
                "name": name,
                "min_severity": "high",
                "matchers": [f'service="{service}"'],
                "auto_resolve_minutes": minutes,
            },
            headers=admin_headers,
        )
        assert r.status_code == 201 and r.json()["auto_resolve_minutes"] == minutes, r.text
    bad = await client.post(
        "/api/incident-policies",
        json={"name": "bad", "auto_resolve_minutes": 0},
        headers=admin_headers,
    )
    assert bad.status_code == 422
    cache = await _fire(client, ingest_headers, "cache", "cache_miss", "high")
    queue = await _fire(client, ingest_headers, "queue", "queue_lag", "high")
    await _consume(db)
    incidents = (await client.get("/api/incidents", headers=admin_headers)).json()["items"]
    by_service = {i["affected_services"][0]: i for i in incidents}
    assert set(by_service) == {"cache", "queue"}
    for alert in (cache, queue):
        r = await client.post(f"/api/alerts/{alert}/resolve", headers=admin_headers)
        assert r.status_code == 200, r.text
    now = datetime.now(UTC)
    for at, expected in ((now + timedelta(minutes=4), 0), (now + timedelta(minutes=6), 1)):
        async with db.transaction() as s:
            assert await auto_resolve(s, at, SETTINGS) == expected
    done = (
        await client.get(f"/api/incidents/{by_service['cache']['id']}", headers=admin_headers)
    ).json()
    assert done["status"] == "resolved" and done["acknowledged_at"] is None
    last = (await _timeline(client, admin_headers, done["id"]))[-1]
    assert last["kind"] == "status" and last["author"] == "sentinel"
    assert "all 1 linked alert(s) resolved for 5 min (auto-resolve)" in last["message"]
    # Off unless the policy says so: the queue incident waits for a person.
    kept = (
        await client.get(f"/api/incidents/{by_service['queue']['id']}", headers=admin_headers)
    ).json()
    assert kept["status"] == "triggered"
    async with db.transaction() as s:
        assert await auto_resolve(s, now + timedelta(hours=5), SETTINGS) == 0
