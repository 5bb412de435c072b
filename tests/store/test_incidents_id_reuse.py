"""Deleting the newest rows of a log the incident worker follows by id must not hide the
next rows from it. SQLite (without AUTOINCREMENT) hands a new row the table's highest id
plus one: once an incident with the newest alert link was deleted, the next link got an
id the worker's cursor had already passed, and the pages of its alert group never reached
the new incident's timeline. Both databases; the bug was SQLite's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from sentinel.alerting.flush import flush_due_groups
from sentinel.config import Settings
from sentinel.incidents.automation import consume_alert_events
from sentinel.incidents.config import IncidentSettings
from sentinel.incidents.notifications import consume_notifications
from sentinel.incidents.stream import _replay
from sentinel.notify.config import NotifySettings
from sentinel.oncall.tasks import escalate_and_deliver
from sentinel.storage.engine import Database
from tests.api.test_oncall_api import make_user
from tests.notify_receivers import HttpReceiver
from tests.store.test_oncall_engine import at, contact, fire

H = dict[str, str]
SETTINGS = IncidentSettings(gap_settle_seconds=0)


async def _drain(db: Database, consume: Any) -> None:
    while True:
        async with db.transaction() as session:
            if not await consume(session, datetime.now(UTC), SETTINGS):
                return


async def _incidents(client: httpx.AsyncClient, headers: H) -> list[dict[str, Any]]:
    response = await client.get("/api/incidents", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _pages_on(client: httpx.AsyncClient, headers: H, incident: int) -> list[Any]:
    response = await client.get(f"/api/incidents/{incident}/timeline", headers=headers)
    assert response.status_code == 200, response.text
    return [
        e
        for e in response.json()["items"]
        if e["kind"] == "notification" and "attempt_id" in e["detail"]
    ]


async def test_a_link_after_the_newest_incident_was_deleted_brings_its_pages(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    settings: Settings,
    http: HttpReceiver,
) -> None:
    ana = await make_user(client, admin_headers, "Ana")
    await contact(client, admin_headers, ana, "webhook", f"{http.url}/hook/ana", None)
    _group, due = await fire(
        client, admin_headers, ingest_headers, db, [{"kind": "notify_users", "targets": [ana]}]
    )
    notify, secret = NotifySettings(retry_base_seconds=1), settings.jwt_secret()
    await escalate_and_deliver(db, notify, secret, at(due))
    await _drain(db, consume_alert_events)
    await _drain(db, consume_notifications)
    [first] = await _incidents(client, admin_headers)
    [page] = await _pages_on(client, admin_headers, first["id"])

    # An admin deletes the incident: its alert link, the newest one, goes with it.
    deleted = await client.delete(f"/api/incidents/{first['id']}", headers=admin_headers)
    assert deleted.status_code == 204

    # The alert resolves and fires again: its group pages again, and the incident worker
    # reads the page before the new incident opens.
    [fired] = (await client.get("/api/alerts", headers=admin_headers)).json()["items"]
    resolved = await client.post(f"/api/alerts/{fired['id']}/resolve", headers=admin_headers)
    assert resolved.status_code == 200, resolved.text
    await escalate_and_deliver(db, notify, secret, at(due))
    await _drain(db, consume_alert_events)
    alert = await client.post(
        "/api/alerts",
        headers=ingest_headers,
        json={
            "service_name": "checkout",
            "alert_name": "CheckoutErrors",
            "title": "Checkout error rate above 5%",
            "severity": "critical",
        },
    )
    assert alert.status_code in (200, 201) and alert.json()["action"] == "reopened"
    later = datetime.now(UTC) + timedelta(seconds=2)
    async with db.transaction() as session:
        assert await flush_due_groups(session, later) == 1
    await escalate_and_deliver(db, notify, secret, at(later))
    assert [b'"event": "page"' in r.body for r in http.on("/hook/ana")].count(True) == 2
    await _drain(db, consume_notifications)
    await _drain(db, consume_alert_events)
    await _drain(db, consume_notifications)

    [second] = await _incidents(client, admin_headers)
    pages = await _pages_on(client, admin_headers, second["id"])
    new_pages = [p for p in pages if p["detail"]["attempt_id"] > page["detail"]["attempt_id"]]
    assert new_pages, pages  # the resolved notice and the new page, sent after the link
    assert all(p["message"].startswith("Paged Ana via webhook") for p in new_pages)


async def test_a_reconnecting_war_room_stream_replays_entries_written_after_a_deletion(
    client: httpx.AsyncClient, admin_headers: H, db: Database
) -> None:
    first = await client.post("/api/incidents", headers=admin_headers, json={"title": "Old"})
    assert first.status_code == 201, first.text
    timeline = f"/api/incidents/{first.json()['id']}/timeline"
    seen = max(e["id"] for e in (await client.get(timeline, headers=admin_headers)).json()["items"])
    # The client saw the newest entry; then an admin deletes that incident.
    deleted = await client.delete(f"/api/incidents/{first.json()['id']}", headers=admin_headers)
    assert deleted.status_code == 204
    second = await client.post("/api/incidents", headers=admin_headers, json={"title": "New"})
    assert second.status_code == 201
    # What a stream replays to a client reconnecting with Last-Event-ID: <seen>.
    replayed = await _replay(db, None, seen)
    assert replayed and {e["incident_id"] for e in replayed} == {second.json()["id"]}
