"""Incidents open themselves from alert events, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from sentinel.alerting.flush import flush_due_groups
from sentinel.incidents.automation import consume_alert_events
from sentinel.incidents.config import IncidentSettings
from sentinel.storage.engine import Database

H = dict[str, str]
SETTINGS = IncidentSettings(gap_settle_seconds=0)


def alert(service: str, name: str, severity: str, **labels: str) -> dict[str, Any]:
    return {
        "service_name": service,
        "alert_name": name,
        "severity": severity,
        "title": f"{name} on {service}",
        "labels": labels,
    }


async def _consume(db: Database) -> int:
    total = 0
    while True:
        async with db.transaction() as s:
            handled = await consume_alert_events(s, datetime.now(UTC), SETTINGS)
        if not handled:
            return total
        total += handled


async def _incidents(client: httpx.AsyncClient, headers: H) -> list[dict[str, Any]]:
    r = await client.get("/api/incidents", headers=headers)
    assert r.status_code == 200, r.text
    return list(reversed(r.json()["items"]))


async def test_severity_policy_opens_once_and_related_alerts_attach(
    client: httpx.AsyncClient, db: Database, admin_headers: H, ingest_headers: H
) -> None:
    first = await client.post(
        "/api/alerts", json=alert("payments", "5xx", "critical"), headers=ingest_headers
    )
    await client.post("/api/alerts", json=alert("search", "slow", "medium"), headers=ingest_headers)
    assert await _consume(db) > 0
    opened = await _incidents(client, admin_headers)
    assert len(opened) == 1
    inc = opened[0]
    assert inc["source"] == "alert" and inc["severity"] == "critical"
    assert inc["alert_ids"] == [first.json()["id"]] and inc["affected_services"] == ["payments"]
    assert "critical is at least high" in inc["creation_reason"]

    # A related alert (same service) attaches; a restart re-reads nothing.
    second = await client.post(
        "/api/alerts", json=alert("payments", "latency", "high"), headers=ingest_headers
    )
    assert await _consume(db) > 0
    assert await _consume(db) == 0
    opened = await _incidents(client, admin_headers)
    assert len(opened) == 1
    assert opened[0]["alert_ids"] == [first.json()["id"], second.json()["id"]]

    # The group's page (after group_wait) and the alert's resolve land on the timeline.
    async with db.transaction() as s:
        assert await flush_due_groups(s, datetime.now(UTC) + timedelta(seconds=31)) >= 1
    await client.post(f"/api/alerts/{first.json()['id']}/resolve", headers=admin_headers)
    await _consume(db)
    timeline = (
        await client.get(f"/api/incidents/{inc['id']}/timeline", headers=admin_headers)
    ).json()["items"]
    kinds = [e["kind"] for e in timeline]
    assert kinds[:4] == ["created", "alert", "alert", "notification"], kinds
    assert kinds[-1] == "alert" and set(kinds[4:-1]) <= {"notification"}
    assert "notified" in timeline[3]["message"]
    assert timeline[0]["author"] == "sentinel"
    assert timeline[-1]["message"] == f"Alert {first.json()['id']} resolved"

    # Once resolved, a new critical alert opens a new incident.
    await client.post(
        f"/api/incidents/{inc['id']}/status", json={"status": "resolved"}, headers=admin_headers
    )
    await client.post("/api/alerts", json=alert("db", "down", "critical"), headers=ingest_headers)
    await _consume(db)
    assert len(await _incidents(client, admin_headers)) == 2


async def test_group_threshold_policy_links_the_whole_burst(
    client: httpx.AsyncClient, db: Database, admin_headers: H, ingest_headers: H
) -> None:
    r = await client.post(
        "/api/incident-policies",
        json={"name": "burst", "min_severity": None, "group_threshold": 3, "group_window_s": 600},
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    ids = []
    for i in range(2):
        a = alert("api", "HighCPU", "low", instance=f"i{i}")
        ids.append((await client.post("/api/alerts", json=a, headers=ingest_headers)).json()["id"])
    await _consume(db)
    assert await _incidents(client, admin_headers) == []
    third = alert("api", "HighCPU", "low", instance="i2")
    ids.append((await client.post("/api/alerts", json=third, headers=ingest_headers)).json()["id"])
    await _consume(db)
    opened = await _incidents(client, admin_headers)
    assert len(opened) == 1 and sorted(opened[0]["alert_ids"]) == sorted(ids)
    assert "3 alerts in group" in opened[0]["creation_reason"]


async def test_policy_api_rejects_bad_input(
    client: httpx.AsyncClient, admin_headers: H, login_as: Any
) -> None:
    bad = [
        {"name": "x", "min_severity": None},
        {"name": "x", "matchers": ['team=~"(']},
        {"name": "x", "group_threshold": 0},
    ]
    for body in bad:
        r = await client.post("/api/incident-policies", json=body, headers=admin_headers)
        assert 400 <= r.status_code < 500, body
    responder = await login_as("responder")
    r = await client.post("/api/incident-policies", json={"name": "x"}, headers=responder)
    assert r.status_code == 403
    assert (
        await client.get("/api/incident-policies/999", headers=admin_headers)
    ).status_code == 404
    assert (await client.get("/api/incident-policies")).status_code == 401
    assert (await client.get("/api/incident-policies", headers=admin_headers)).json()["items"] == []


async def test_an_alert_storm_attaches_in_order_in_one_batch(
    client: httpx.AsyncClient, db: Database, admin_headers: H, ingest_headers: H
) -> None:
    """Many alerts of one service arriving between two worker ticks attach to its open
    incident together: each once, in the order they came, and an alert's resolve comes
    after its link on the timeline."""
    first = await client.post(
        "/api/alerts", json=alert("payments", "5xx", "critical"), headers=ingest_headers
    )
    await _consume(db)
    (inc,) = await _incidents(client, admin_headers)
    storm = []
    for i in range(30):
        body = alert("payments", "latency", "medium", instance=f"i{i}")
        storm.append((await client.post("/api/alerts", json=body, headers=ingest_headers)).json())
    again = alert("payments", "latency", "medium", instance="i3")  # a repeat: same alert
    assert (await client.post("/api/alerts", json=again, headers=ingest_headers)).status_code < 300
    for a in storm[::10]:
        r = await client.post(f"/api/alerts/{a['id']}/resolve", headers=admin_headers)
        assert r.status_code == 200, r.text
    assert await _consume(db) > 0
    assert await _consume(db) == 0
    (after,) = await _incidents(client, admin_headers)
    assert after["id"] == inc["id"]
    assert after["alert_ids"] == [first.json()["id"], *(a["id"] for a in storm)]
    timeline = (
        await client.get(f"/api/incidents/{inc['id']}/timeline", headers=admin_headers)
    ).json()["items"]
    ids = [e["id"] for e in timeline]
    assert ids == sorted(ids)
    messages = [e["message"] for e in timeline]
    linked = [m for m in messages if " linked: " in m]
    assert linked == [
        m
        for a in [first.json(), *storm]
        for m in messages
        if m.startswith(f"Alert {a['id']} ") and " linked: " in m
    ]
    for a in storm[::10]:
        link = messages.index(next(m for m in linked if m.startswith(f"Alert {a['id']} ")))
        assert messages.index(f"Alert {a['id']} resolved") > link
