"""Delivery attempts of an incident's pages land on its timeline (both databases): the
pages sent before the incident opened, then each retry, once each, with who was paged,
the channel, the outcome and the latency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from sentinel.config import Settings
from sentinel.incidents.automation import consume_alert_events
from sentinel.incidents.config import IncidentSettings
from sentinel.incidents.notifications import consume_notifications
from sentinel.notify.config import NotifySettings
from sentinel.oncall.tasks import escalate_and_deliver
from sentinel.storage.engine import Database
from tests.api.test_oncall_api import make_user
from tests.notify_receivers import HttpReceiver
from tests.store.test_oncall_engine import at, contact, fire

H = dict[str, str]
SETTINGS = IncidentSettings(gap_settle_seconds=0)


async def _consume(db: Database) -> None:
    for consume in (consume_alert_events, consume_notifications):
        while True:
            async with db.transaction() as s:
                if not await consume(s, datetime.now(UTC), SETTINGS):
                    break


async def _notifications(client: httpx.AsyncClient, headers: H, iid: int) -> list[Any]:
    r = await client.get(f"/api/incidents/{iid}/timeline", headers=headers)
    assert r.status_code == 200, r.text
    return [
        e for e in r.json()["items"] if e["kind"] == "notification" and "attempt_id" in e["detail"]
    ]


async def test_pages_before_and_after_the_incident_opened_are_on_its_timeline(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    settings: Settings,
    http: HttpReceiver,
) -> None:
    ana = await make_user(client, admin_headers, "Ana")
    ben = await make_user(client, admin_headers, "Ben")
    await contact(client, admin_headers, ana, "webhook", f"{http.url}/hook/ana", None)
    await contact(client, admin_headers, ben, "webhook", f"{http.url}/fail/ben", None)
    group, due = await fire(
        client,
        admin_headers,
        ingest_headers,
        db,
        [{"kind": "notify_users", "targets": [ana, ben]}],
    )
    ns = NotifySettings(retry_base_seconds=1)
    secret = settings.jwt_secret()
    # The pages go out before the incident worker has run: Ana's lands, Ben's fails.
    await escalate_and_deliver(db, ns, secret, at(due))
    assert len(http.on("/hook/ana")) == 1 and len(http.on("/fail/ben")) == 1

    await _consume(db)
    [incident] = (await client.get("/api/incidents", headers=admin_headers)).json()["items"]
    entries = await _notifications(client, admin_headers, incident["id"])
    assert len(entries) == 2, entries
    by_user = {e["detail"]["user"]: e for e in entries}
    delivered, failed = by_user["Ana"], by_user["Ben"]
    assert delivered["author"] == failed["author"] == "sentinel (notify)"
    assert delivered["detail"]["delivered"] is True and delivered["detail"]["channel"] == "webhook"
    assert delivered["detail"]["group_id"] == group and delivered["detail"]["latency_ms"] >= 0
    assert (
        delivered["message"].startswith("Paged Ana via webhook")
        and "delivered in" in (delivered["message"])
    )
    assert failed["detail"]["delivered"] is False and failed["detail"]["status_code"] == 500
    assert "HTTP 500" in failed["message"] and "attempt 1 of 5, will retry" in failed["message"]

    # Ben's retry is appended after them; reading again writes nothing twice.
    await escalate_and_deliver(db, ns, secret, at(due + timedelta(seconds=5)))
    assert len(http.on("/fail/ben")) == 2
    await _consume(db)
    await _consume(db)
    entries = await _notifications(client, admin_headers, incident["id"])
    assert len(entries) == 3, [e["message"] for e in entries]
    assert entries[-1]["detail"]["user"] == "Ben" and entries[-1]["detail"]["attempt"] == 2
    ids = [e["detail"]["attempt_id"] for e in entries]
    assert ids == sorted(ids) and len(set(ids)) == 3
