"""Workers that follow a table by id never pass a row whose transaction commits late.

PostgreSQL hands out ids before commit: a slow writer (here a second real connection
that holds its transaction open) can commit an id below ones already visible. The old
settle time is set to 0 throughout, so nothing here waits for a clock: a consumer that
guessed from the age of the gap would pass the slow row at once and never read it.
SQLite has one writer (ids commit in order), so these run on PostgreSQL only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select

from sentinel.alerting import intake
from sentinel.alerting.config import AlertingSettings
from sentinel.alerting.flush import flush_due_groups
from sentinel.alerting.models import AlertEvent
from sentinel.alerting.pipeline import IncomingAlert
from sentinel.alerting.severity import Severity
from sentinel.config import Settings
from sentinel.incidents.automation import consume_alert_events
from sentinel.incidents.config import IncidentSettings
from sentinel.incidents.models import Incident
from sentinel.incidents.notifications import consume_notifications
from sentinel.notify.config import NotifySettings
from sentinel.notify.models import NotificationAttempt, OutboxMessage
from sentinel.oncall.tasks import escalate_and_deliver
from sentinel.storage.all_models import load_all_models
from sentinel.storage.commit_order import Followed, visible_high_water
from sentinel.storage.engine import Database
from tests.api.test_oncall_api import make_user
from tests.notify_receivers import HttpReceiver
from tests.store.test_oncall_engine import at, contact, fire

pytestmark = pytest.mark.only_on("postgresql")

H = dict[str, str]
OLD_SETTLE_OFF = IncidentSettings(gap_settle_seconds=0)


def alert(service: str, severity: Severity) -> IncomingAlert:
    return IncomingAlert(
        labels={"alertname": "errors", "service": service},
        source="api",
        severity=severity,
        service=service,
        title=f"errors on {service}",
    )


async def ingest(
    db: Database, service: str, severity: Severity, now: datetime | None = None
) -> None:
    async with db.transaction() as s:
        await intake.ingest(
            s, [alert(service, severity)], now or datetime.now(UTC), AlertingSettings()
        )


async def consume(db: Database) -> int:
    total = 0
    while True:
        async with db.transaction() as s:
            handled = await consume_alert_events(s, datetime.now(UTC), OLD_SETTLE_OFF)
        if not handled:
            return total
        total += handled


async def consume_incidents(db: Database) -> None:
    for step in (consume_alert_events, consume_notifications):
        while True:
            async with db.transaction() as s:
                if not await step(s, datetime.now(UTC), OLD_SETTLE_OFF):
                    break


async def attempt_ids(client: httpx.AsyncClient, headers: H, incident_id: int) -> list[int]:
    r = await client.get(f"/api/incidents/{incident_id}/timeline", headers=headers)
    assert r.status_code == 200, r.text
    return [
        e["detail"]["attempt_id"]
        for e in r.json()["items"]
        if e["kind"] == "notification" and "attempt_id" in e["detail"]
    ]


async def incident_services(db: Database) -> list[list[str]]:
    async with db.transaction() as s:
        rows = (await s.scalars(select(Incident).order_by(Incident.id))).all()
    return [list(i.affected_services) for i in rows]


async def newest_event_id(db: Database) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(select(func.max(AlertEvent.id))) or 0)


async def test_an_alert_committed_late_still_opens_its_incident(
    db: Database, slow: Database
) -> None:
    async with slow.transaction() as late:
        # The slow intake takes its event ids first and has not committed yet ...
        await intake.ingest(
            late, [alert("payments", Severity.CRITICAL)], datetime.now(UTC), AlertingSettings()
        )
        # ... while a later alert commits with higher ids and the worker runs.
        await ingest(db, "search", Severity.CRITICAL)
        await consume(db)
    # The slow one commits: its incident opens too (first: its events' ids are lower).
    await consume(db)
    assert await incident_services(db) == [["payments"], ["search"]]


async def test_an_insert_that_rolls_back_does_not_stall_the_worker(
    db: Database, slow: Database
) -> None:
    with pytest.raises(RuntimeError):
        async with slow.transaction() as doomed:
            await intake.ingest(
                doomed,
                [alert("payments", Severity.CRITICAL)],
                datetime.now(UTC),
                AlertingSettings(),
            )
            await ingest(db, "search", Severity.CRITICAL)
            raise RuntimeError("the slow request fails")
    # A gap that will never commit: the worker reads past it at once.
    assert await consume(db) > 0
    assert await incident_services(db) == [["search"]]


async def page_ana(
    client: httpx.AsyncClient, admin_headers: H, http: HttpReceiver
) -> list[dict[str, Any]]:
    """Escalation steps that page Ana, whose contact method is a webhook on `http`."""
    ana = await make_user(client, admin_headers, "Ana")
    await contact(client, admin_headers, ana, "webhook", f"{http.url}/hook/ana", None)
    return [{"kind": "notify_users", "targets": [ana]}]


async def test_a_group_notification_committed_late_still_pages(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    slow: Database,
    settings: Settings,
    http: HttpReceiver,
) -> None:
    steps = await page_ana(client, admin_headers, http)
    policy = await client.post(
        "/api/oncall/escalation-policies", headers=admin_headers, json={"name": "p", "steps": steps}
    )
    route = await client.post(
        "/api/alerting/routes",
        headers=admin_headers,
        json={
            "name": "checkout",
            "matchers": ['service="checkout"'],
            "escalation_policy_id": policy.json()["id"],
            "group_wait_s": 1,
        },
    )
    assert route.status_code == 201, route.text
    await client.post(
        "/api/alerts",
        headers=ingest_headers,
        json={"service_name": "checkout", "alert_name": "Errors", "severity": "critical"},
    )
    ns, secret = NotifySettings(), settings.jwt_secret()
    due = datetime.now(UTC) + timedelta(seconds=2)
    await escalate_and_deliver(db, ns, secret, at(due))  # on-call has read all so far
    async with slow.transaction() as late:
        # The group timer's transaction has written its notify event and is slow to commit
        # ...
        assert await flush_due_groups(late, due) == 1
        await late.flush()
        # ... while a later event commits, dated long past any wait for a gap.
        await ingest(db, "search", Severity.LOW, datetime.now(UTC) - timedelta(hours=1))
        await escalate_and_deliver(db, ns, secret, at(due))
        assert http.on("/hook/ana") == []
    await escalate_and_deliver(db, ns, secret, at(due))
    assert len(http.on("/hook/ana")) == 1  # Ana is paged


async def test_a_delivery_attempt_committed_late_still_reaches_the_timeline(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    slow: Database,
    settings: Settings,
    http: HttpReceiver,
) -> None:
    steps = await page_ana(client, admin_headers, http)
    _group, due = await fire(client, admin_headers, ingest_headers, db, steps)
    await escalate_and_deliver(db, NotifySettings(), settings.jwt_secret(), at(due))
    await consume_incidents(db)
    [incident] = (await client.get("/api/incidents", headers=admin_headers)).json()["items"]
    assert len(await attempt_ids(client, admin_headers, incident["id"])) == 1
    async with db.transaction() as s:
        outbox_id = await s.scalar(select(func.max(OutboxMessage.id)))

    def attempt(ok: bool) -> dict[str, object]:
        return {
            "outbox_id": outbox_id,
            "at": datetime.now(UTC),
            "channel": "webhook",
            "ok": ok,
            "latency_ms": 5.0,
        }

    async with slow.transaction() as late:
        # A delivery worker recorded an attempt (the insert outbox.record makes) and is
        # slow to commit, while another worker's later attempt commits.
        await late.execute(insert(NotificationAttempt), [attempt(False)])
        async with db.transaction() as s:
            await s.execute(insert(NotificationAttempt), [attempt(True)])
        await consume_incidents(db)
    await consume_incidents(db)
    ids = await attempt_ids(client, admin_headers, incident["id"])
    async with db.transaction() as s:
        stored = (await s.scalars(select(NotificationAttempt.id))).all()
    assert ids == sorted(stored)  # every attempt, the late one too, in order


async def test_the_alert_event_feed_holds_back_until_a_late_event_commits(
    client: httpx.AsyncClient, db: Database, slow: Database, admin_headers: H
) -> None:
    await ingest(db, "warmup", Severity.LOW)
    after = await newest_event_id(db)
    async with slow.transaction() as late:
        await intake.ingest(
            late, [alert("payments", Severity.HIGH)], datetime.now(UTC), AlertingSettings()
        )
        await ingest(db, "search", Severity.HIGH)
        early = await client.get(
            "/api/alerts/events", params={"after_id": after}, headers=admin_headers
        )
        assert early.status_code == 200
        assert early.json() == []  # the search alert's events are above the slow ones
    # A follower passing back the last id it saw gets every event, the late ones too.
    seen: list[int] = []
    while batch := (
        await client.get(
            "/api/alerts/events",
            params={"after_id": seen[-1] if seen else after, "limit": 2},
            headers=admin_headers,
        )
    ).json():
        seen += [e["id"] for e in batch]
    async with db.transaction() as s:
        stored = (await s.scalars(select(AlertEvent.id).where(AlertEvent.id > after))).all()
    assert seen == sorted(stored) and len(seen) > 2


async def test_the_high_water_stops_below_an_insert_in_flight(db: Database, slow: Database) -> None:
    await ingest(db, "warmup", Severity.LOW)
    before = await newest_event_id(db)
    async with db.transaction() as s:
        assert await visible_high_water(s, Followed.ALERT_EVENTS) == before
    async with slow.transaction() as late:
        await intake.ingest(
            late, [alert("payments", Severity.HIGH)], datetime.now(UTC), AlertingSettings()
        )
        await ingest(db, "search", Severity.HIGH)
        async with db.transaction() as s:
            assert await visible_high_water(s, Followed.ALERT_EVENTS, wait_seconds=0) == before
        # The writer itself sees its own rows and waits for nobody (not for itself).
        newest = await late.scalar(select(func.max(AlertEvent.id)))
        assert await visible_high_water(late, Followed.ALERT_EVENTS, wait_seconds=0) == newest
    async with db.transaction() as s:
        assert await visible_high_water(s, Followed.ALERT_EVENTS) == await newest_event_id(db)


def test_every_followed_table_exists() -> None:
    assert {f.table for f in Followed} <= set(load_all_models().tables)
