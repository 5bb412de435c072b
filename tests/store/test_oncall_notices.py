"""Resolved notices on both databases, against real receivers on loopback: when a group
resolves, every address a page or a route channel reached gets one "resolved" notice
(voice numbers by SMS, PagerDuty as a `resolve` event), also when the group resolved while
silenced or inhibited, exactly once even if the events are read again, and once more only
after the group fires and resolves anew."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update

from sentinel.alerting import lifecycle
from sentinel.alerting.flush import flush_due_groups
from sentinel.config import Settings
from sentinel.notify.models import OutboxMessage
from sentinel.oncall.models import EventCursor
from sentinel.oncall.tasks import escalate_and_deliver
from sentinel.storage.engine import Database
from tests.api.test_oncall_api import make_user
from tests.notify_receivers import HttpReceiver, SmtpReceiver, email_parts
from tests.store.test_oncall_engine import at, contact, notify_settings

H = dict[str, str]
SMS = "/2010-04-01/Accounts/AC123/Messages.json"
CALLS = "/2010-04-01/Accounts/AC123/Calls.json"


async def route_with_policy(
    client: httpx.AsyncClient, admin: H, service: str, users: list[int], channels: list[str]
) -> None:
    policy = await client.post(
        "/api/oncall/escalation-policies",
        headers=admin,
        json={
            "name": f"{service}-{uuid.uuid4().hex[:4]}",
            "steps": [{"kind": "notify_users", "targets": users}],
        },
    )
    assert policy.status_code == 201, policy.text
    route = await client.post(
        "/api/alerting/routes",
        headers=admin,
        json={
            "name": service,
            "matchers": [f'service="{service}"'],
            "escalation_policy_id": policy.json()["id"],
            "channels": channels,
            "group_by": ["service"],
            "group_wait_s": 1,
        },
    )
    assert route.status_code == 201, route.text


async def alertmanager(
    client: httpx.AsyncClient, ingest: H, labels: dict[str, str], resolved: bool = False
) -> None:
    alert: dict[str, Any] = {"labels": labels, "annotations": {"summary": labels["alertname"]}}
    if resolved:
        alert["endsAt"] = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    response = await client.post("/api/v2/alerts", headers=ingest, json=[alert])
    assert response.status_code == 200, response.text


async def flush(db: Database) -> datetime:
    due = datetime.now(UTC) + timedelta(seconds=2)
    async with db.transaction() as session:
        await flush_due_groups(session, due)
    return due


def texts(receiver: HttpReceiver, path: str) -> list[str]:
    return [r.json()["text"] for r in receiver.on(path)]


def sms_bodies(receiver: HttpReceiver) -> list[str]:
    return [dict(httpx.QueryParams(r.body.decode()))["Body"] for r in receiver.on(SMS)]


async def test_everybody_paged_and_the_route_channels_hear_of_the_resolve_once(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    settings: Settings,
    http: HttpReceiver,
    smtp: SmtpReceiver,
) -> None:
    ana = await make_user(client, admin_headers, "Ana")
    bo = await make_user(client, admin_headers, "Bo")
    await contact(client, admin_headers, ana, "slack", f"{http.url}/slack/ana", None)
    await contact(client, admin_headers, ana, "email", "ana@example.com", None)
    await contact(client, admin_headers, ana, "voice", "+15550003333", None)
    await contact(client, admin_headers, ana, "pagerduty", "P" * 32, None)
    await contact(client, admin_headers, bo, "webhook", f"{http.url}/hook/bo", 5)  # too late
    await route_with_policy(
        client, admin_headers, "payments", [ana, bo], [f"slack:{http.url}/slack/room"]
    )
    labels = {"alertname": "PaymentsDown", "service": "payments", "severity": "critical"}
    await alertmanager(client, ingest_headers, labels)
    due = await flush(db)
    ns = notify_settings(http, smtp, pagerduty_events_url=f"{http.url}/v2/enqueue")
    secret = settings.jwt_secret()
    await escalate_and_deliver(db, ns, secret, at(due))
    assert texts(http, "/slack/ana") == ["[CRITICAL] PaymentsDown (payments)"]
    assert len(texts(http, "/slack/room")) == 1 and len(http.on(CALLS)) == 1

    [alert] = (await client.get("/api/alerts", headers=admin_headers)).json()["items"]
    resolved = await client.post(f"/api/alerts/{alert['id']}/resolve", headers=admin_headers)
    assert resolved.status_code == 200
    await escalate_and_deliver(db, ns, secret, at(due + timedelta(seconds=10)))
    await escalate_and_deliver(db, ns, secret, at(due + timedelta(minutes=10)))

    assert texts(http, "/slack/ana")[1:] == ["[RESOLVED] PaymentsDown (payments)"]
    assert texts(http, "/slack/room")[1:] == ["[RESOLVED] PaymentsDown (payments)"]
    [_, notice] = smtp.to("ana@example.com")
    assert notice["Subject"] == "[RESOLVED] PaymentsDown (payments)"
    plain, rich = email_parts(notice)
    assert "Resolved by admin@example.com" in plain and "href" not in rich
    # Nobody is called to hear that it is over: the voice number gets an SMS.
    assert len(http.on(CALLS)) == 1
    assert sms_bodies(http) == [
        "[RESOLVED] PaymentsDown (payments): "
        + f"Resolved by admin@example.com at {due + timedelta(seconds=10):%Y-%m-%d %H:%M} UTC."
    ]
    trigger, close = [r.json() for r in http.on("/v2/enqueue")]
    assert trigger["event_action"] == "trigger"
    assert close == {
        "routing_key": "P" * 32,
        "event_action": "resolve",
        "dedup_key": trigger["dedup_key"],
    }
    assert http.on("/hook/bo") == []  # Bo's delayed page was cancelled: no notice either

    # Reading the whole event log again (a replica with a lost cursor) queues nothing new.
    async with db.transaction() as session:
        await session.execute(update(EventCursor).values(last_event_id=0))
    await escalate_and_deliver(db, ns, secret, at(due + timedelta(minutes=11)))
    assert len(http.on("/slack/ana")) == 2 and len(smtp.to("ana@example.com")) == 2
    async with db.transaction() as session:
        notices = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.idempotency_key.startswith("resolved:"))
        )
    assert notices == 5  # slack, email, sms (for voice), pagerduty, the room

    # The group fires again and resolves again: one more notice, for the new cycle.
    await alertmanager(client, ingest_headers, labels)
    again = await flush(db)
    await escalate_and_deliver(db, ns, secret, at(again))
    assert len(http.on("/slack/ana")) == 3
    await alertmanager(client, ingest_headers, labels, resolved=True)
    await escalate_and_deliver(db, ns, secret, at(again + timedelta(seconds=5)))
    assert texts(http, "/slack/ana")[3:] == ["[RESOLVED] PaymentsDown (payments)"]
    assert len(texts(http, "/slack/room")) == 4
    history = await client.get(
        f"/api/notifications?user_id={ana}&channel=sms", headers=admin_headers
    )
    assert [i["ok"] for i in history.json()["items"]] == [True, True]


async def test_a_group_that_resolves_while_silenced_or_inhibited_still_sends_its_notice(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    settings: Settings,
    http: HttpReceiver,
    smtp: SmtpReceiver,
) -> None:
    cy = await make_user(client, admin_headers, "Cy")
    await contact(client, admin_headers, cy, "slack", f"{http.url}/slack/cy", None)
    await route_with_policy(client, admin_headers, "search", [cy], [])
    await route_with_policy(client, admin_headers, "ledger", [cy], [])
    rule = await client.post(
        "/api/alerting/inhibition-rules",
        headers=admin_headers,
        json={
            "name": "cluster down mutes warnings",
            "source_matchers": ['alertname="ClusterDown"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["cluster"],
        },
    )
    assert rule.status_code == 201, rule.text
    search = {"alertname": "SlowQueries", "service": "search", "severity": "warning"}
    ledger = {"alertname": "LedgerLag", "service": "ledger", "severity": "warning"}
    ledger["cluster"] = "eu-1"
    await alertmanager(client, ingest_headers, search)
    await alertmanager(client, ingest_headers, ledger)
    due = await flush(db)
    ns, secret = notify_settings(http, smtp), settings.jwt_secret()
    await escalate_and_deliver(db, ns, secret, at(due))
    assert sorted(texts(http, "/slack/cy")) == [
        "[MEDIUM] LedgerLag (ledger)",
        "[MEDIUM] SlowQueries (search)",
    ]

    # Search is silenced by hand; ledger is inhibited once its cluster goes down.
    alerts = {
        a["alert_name"]: a
        for a in (await client.get("/api/alerts", headers=admin_headers)).json()["items"]
    }
    silenced = await client.post(
        f"/api/alerts/{alerts['SlowQueries']['id']}/silence", headers=admin_headers, json={}
    )
    assert silenced.status_code == 200 and silenced.json()["status"] == "silenced"
    down = {"alertname": "ClusterDown", "service": "infra", "severity": "critical"}
    await alertmanager(client, ingest_headers, {**down, "cluster": "eu-1"})
    async with db.transaction() as session:
        await lifecycle.refresh_mutes(session, datetime.now(UTC))
    inhibited = (
        await client.get(f"/api/alerts/{alerts['LedgerLag']['id']}", headers=admin_headers)
    ).json()
    assert inhibited["status"] == "silenced" and inhibited["muted_by"].startswith("inhibition")

    # Both senders resolve their alerts while they are muted.
    await alertmanager(client, ingest_headers, search, resolved=True)
    await alertmanager(client, ingest_headers, ledger, resolved=True)
    await escalate_and_deliver(db, ns, secret, at(due + timedelta(minutes=1)))
    await escalate_and_deliver(db, ns, secret, at(due + timedelta(minutes=2)))
    assert sorted(texts(http, "/slack/cy")[2:]) == [
        "[RESOLVED] LedgerLag (ledger)",
        "[RESOLVED] SlowQueries (search)",
    ]
