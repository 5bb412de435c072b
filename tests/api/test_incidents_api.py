"""The brief's incident endpoints, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from sentinel.auth.models import AuditEvent
from sentinel.incidents.models import Incident, TimelineEntry
from sentinel.storage.engine import Database
from tests.conftest import UserFactory

H = dict[str, str]
ALERT = {
    "service_name": "payments",
    "alert_name": "payments_5xx",
    "severity": "critical",
    "title": "Payments returns 5xx",
}


async def _count(db: Database, model: Any) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def _open(client: httpx.AsyncClient, headers: H, **extra: Any) -> dict[str, Any]:
    body = {"title": "Checkout failing", "severity": "high", **extra}
    r = await client.post("/api/incidents", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def test_lifecycle_timeline_and_authors(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H, login_as: UserFactory
) -> None:
    alert = (await client.post("/api/alerts", json=ALERT, headers=ingest_headers)).json()
    responder = await login_as("responder")
    inc = await _open(
        client,
        responder,
        alert_ids=[alert["id"]],
        affected_services=["checkout"],
        commander="Ana",
        priority="P1",
    )
    assert inc["status"] == "triggered" and inc["alert_ids"] == [alert["id"]]
    assert inc["affected_services"] == ["checkout", "payments"]
    assert inc["commander"] == "Ana" and inc["participants"][0]["role"] == "commander"
    assert "acknowledged" in inc["allowed_transitions"]
    iid = inc["id"]

    for status in ("acknowledged", "investigating", "identified"):
        r = await client.post(
            f"/api/incidents/{iid}/status", json={"status": status}, headers=responder
        )
        assert r.status_code == 200 and r.json()["status"] == status
    # Picking the incident up acknowledged its alert: escalation stops.
    linked = (await client.get(f"/api/alerts/{alert['id']}", headers=admin_headers)).json()
    assert linked["status"] == "acknowledged" and linked["acknowledged_by"].startswith("responder-")
    r = await client.post(
        f"/api/incidents/{iid}/status", json={"status": "closed"}, headers=responder
    )
    assert r.status_code == 409
    problem = r.json()
    assert problem["current"] == "identified"
    assert problem["allowed"] == ["investigating", "monitoring", "resolved"]
    assert "identified to closed" in problem["detail"]

    r = await client.post(
        f"/api/incidents/{iid}/updates", json={"message": "Rolled back v42"}, headers=responder
    )
    assert r.status_code == 201 and r.json()["kind"] == "update"
    r = await client.post(
        f"/api/incidents/{iid}/assign", json={"name": "Bo", "role": "scribe"}, headers=admin_headers
    )
    assert {(p["name"], p["role"]) for p in r.json()["participants"]} == {
        ("Ana", "commander"),
        ("Bo", "scribe"),
    }
    r = await client.post(
        f"/api/incidents/{iid}/assign", json={"name": "Cy"}, headers=admin_headers
    )
    assert r.json()["commander"] == "Cy"
    assert ("Ana", "commander") not in {(p["name"], p["role"]) for p in r.json()["participants"]}
    r = await client.post(
        f"/api/incidents/{iid}/root-cause",
        json={"summary": "Bad deploy of payments v42", "service": "payments"},
        headers=responder,
    )
    assert r.json()["root_cause"]["summary"] == "Bad deploy of payments v42"
    for status in ("monitoring", "resolved", "closed"):
        r = await client.post(
            f"/api/incidents/{iid}/status", json={"status": status}, headers=responder
        )
        assert r.status_code == 200, r.text
    done = r.json()
    assert done["acknowledged_at"] <= done["identified_at"] <= done["resolved_at"]
    assert done["allowed_transitions"] == []

    r = await client.get(f"/api/incidents/{iid}/timeline", headers=admin_headers)
    entries = r.json()["items"]
    kinds = [e["kind"] for e in entries]
    assert kinds[:3] == ["created", "assignment", "alert"]
    assert kinds.count("status") == 6 and "update" in kinds and "root_cause" in kinds
    assert [e["id"] for e in entries] == sorted(e["id"] for e in entries)
    status_authors = {e["author"] for e in entries if e["kind"] == "status"}
    assert len(status_authors) == 1 and status_authors.pop().startswith("responder-")
    assert entries[-1]["message"] == "Status resolved → closed"
    page = await client.get(f"/api/incidents/{iid}/timeline?limit=2", headers=admin_headers)
    rest = await client.get(
        f"/api/incidents/{iid}/timeline?cursor={page.json()['next_cursor']}", headers=admin_headers
    )
    assert [e["id"] for e in page.json()["items"] + rest.json()["items"]] == [
        e["id"] for e in entries
    ]


async def test_active_list_update_and_statistics(
    client: httpx.AsyncClient, admin_headers: H
) -> None:
    first = await _open(client, admin_headers, severity="critical", affected_services=["a"])
    second = await _open(client, admin_headers, severity="low", affected_services=["a", "b"])
    for status in ("acknowledged", "resolved"):
        await client.post(
            f"/api/incidents/{first['id']}/status", json={"status": status}, headers=admin_headers
        )
    active = (await client.get("/api/incidents/active", headers=admin_headers)).json()
    assert [i["id"] for i in active["items"]] == [second["id"]]
    page = (await client.get("/api/incidents?limit=1", headers=admin_headers)).json()
    assert [i["id"] for i in page["items"]] == [second["id"]] and page["next_cursor"]
    r = await client.patch(
        f"/api/incidents/{second['id']}",
        json={"severity": "high", "priority": "P2"},
        headers=admin_headers,
    )
    assert r.status_code == 200 and r.json()["severity"] == "high"
    stats = (await client.get("/api/incidents/statistics", headers=admin_headers)).json()
    assert stats["total"] == 2 and stats["open"] == 1
    assert stats["mtta"]["count"] == 1 and stats["mttr"]["count"] == 1
    assert stats["mttr"]["mean_seconds"] >= stats["mtta"]["mean_seconds"] >= 0
    assert stats["by_severity"] == {"critical": 1, "high": 1}
    assert stats["by_service"] == {"a": 2, "b": 1}
    assert sum(stats["by_period"].values()) == 2


async def test_post_mortem_and_action_items(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H
) -> None:
    alert = (await client.post("/api/alerts", json=ALERT, headers=ingest_headers)).json()
    inc = await _open(client, admin_headers, alert_ids=[alert["id"]], commander="Ana")
    iid = inc["id"]
    r = await client.post(
        f"/api/incidents/{iid}/action-items",
        json={"title": "Add a canary stage", "owner": "Bo"},
        headers=admin_headers,
    )
    assert r.status_code == 201
    item = r.json()
    r = await client.patch(
        f"/api/incidents/{iid}/action-items/{item['id']}",
        json={"status": "done"},
        headers=admin_headers,
    )
    assert r.json()["status"] == "done"
    await client.post(
        f"/api/incidents/{iid}/root-cause",
        json={"summary": "Pool exhausted"},
        headers=admin_headers,
    )
    await client.post(
        f"/api/incidents/{iid}/status", json={"status": "resolved"}, headers=admin_headers
    )
    doc = (await client.get(f"/api/incidents/{iid}/post-mortem", headers=admin_headers)).json()
    assert doc["impact"]["services"] == ["payments"] and doc["impact"]["duration_seconds"] >= 0
    assert doc["response"]["time_to_acknowledge_seconds"] is not None
    assert doc["alerts"][0]["alert_name"] == "payments_5xx"
    assert doc["root_cause"]["summary"] == "Pool exhausted"
    assert doc["action_items"][0]["status"] == "done"
    assert next(e["kind"] for e in doc["timeline"]) == "created"
    md = await client.get(
        f"/api/incidents/{iid}/post-mortem?format=markdown", headers=admin_headers
    )
    assert md.headers["content-type"].startswith("text/markdown")
    assert "## Impact" in md.text and "- [x] Add a canary stage (owner: Bo)" in md.text
    assert "Pool exhausted" in md.text and "payments_5xx" in md.text


async def test_auth_missing_and_bad_input(
    client: httpx.AsyncClient, admin_headers: H, login_as: UserFactory, db: Database
) -> None:
    inc = await _open(client, admin_headers)
    iid = inc["id"]
    viewer = await login_as("viewer")
    assert (await client.get("/api/incidents/active")).status_code == 401
    assert (await client.get(f"/api/incidents/{iid}", headers=viewer)).status_code == 200
    for path, body in (
        ("", {"title": "x"}),
        (f"/{iid}/status", {"status": "acknowledged"}),
        (f"/{iid}/updates", {"message": "hi"}),
        (f"/{iid}/assign", {"name": "x"}),
        (f"/{iid}/root-cause", {"summary": "x"}),
    ):
        r = await client.post(f"/api/incidents{path}", json=body, headers=viewer)
        assert r.status_code == 403, path
        assert (await client.post(f"/api/incidents{path}", json=body)).status_code == 401
    for path in ("", "/timeline", "/post-mortem", "/root-cause/suggestions", "/action-items"):
        r = await client.get(f"/api/incidents/999999{path}", headers=admin_headers)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = await client.post(
        "/api/incidents/999999/status", json={"status": "resolved"}, headers=admin_headers
    )
    assert r.status_code == 404
    before_incidents, before_entries = await _count(db, Incident), await _count(db, TimelineEntry)
    for body in (
        {"title": ""},
        {"title": "x", "severity": "urgent"},
        {"title": "x", "alert_ids": [424242]},
        {"title": "x", "affected_services": [" "]},
    ):
        r = await client.post("/api/incidents", json=body, headers=admin_headers)
        assert 400 <= r.status_code < 500, body
        assert r.headers["content-type"] == "application/problem+json"
    r = await client.post(
        f"/api/incidents/{iid}/status", json={"status": "done"}, headers=admin_headers
    )
    assert r.status_code == 422
    assert (await _count(db, Incident), await _count(db, TimelineEntry)) == (
        before_incidents,
        before_entries,
    )
    async with db.transaction() as s:
        actions = set((await s.scalars(select(AuditEvent.action))).all())
    assert "incident.create" in actions


async def test_team_ownership_filters_lists(client: httpx.AsyncClient, admin_headers: H) -> None:
    team = await client.post("/api/teams", json={"name": "payments-sre"}, headers=admin_headers)
    assert team.status_code == 201, team.text
    tid = team.json()["id"]
    owned = await _open(client, admin_headers, team_id=tid)
    await _open(client, admin_headers)
    assert owned["team_id"] == tid
    for path in ("/api/incidents", "/api/incidents/active"):
        r = await client.get(f"{path}?team_id={tid}", headers=admin_headers)
        assert [i["id"] for i in r.json()["items"]] == [owned["id"]]
    r = await client.post(
        "/api/incidents", json={"title": "x", "team_id": 987654}, headers=admin_headers
    )
    assert r.status_code == 400 and "No team" in r.json()["detail"]
    r = await client.patch(
        f"/api/incidents/{owned['id']}", json={"team_id": 987654}, headers=admin_headers
    )
    assert r.status_code == 400
