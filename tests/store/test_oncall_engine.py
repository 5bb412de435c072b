"""Escalation engine and delivery against real receivers on loopback (HTTP and SMTP), on
both databases: the first person is paged once per channel, the next after the wait,
acknowledging via the signed link stops escalation and cancels delayed rules, a failing
channel does not block the others, and a crash mid-step neither skips nor repeats it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from sentinel.alerting.flush import flush_due_groups
from sentinel.config import Settings
from sentinel.notify import outbox
from sentinel.notify.config import NotifySettings
from sentinel.notify.links import twilio_signature, webhook_signature
from sentinel.notify.models import OutboxMessage
from sentinel.oncall import consumer, engine
from sentinel.oncall.models import Escalation
from sentinel.oncall.tasks import escalate_and_deliver
from sentinel.storage.engine import Database
from tests.api.test_oncall_api import make_user
from tests.notify_receivers import HttpReceiver, SmtpReceiver, email_parts, html_buttons

H = dict[str, str]


def notify_settings(http: HttpReceiver, smtp: SmtpReceiver, **extra: Any) -> NotifySettings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "twilio_base_url": http.url,
        "twilio_account_sid": "AC123",
        "twilio_auth_token": SecretStr("twilio-token"),
        "twilio_from": "+15550000000",
        "public_url": "http://sentinel.test",
        "retry_base_seconds": 1,
        **extra,
    }
    return NotifySettings(**values)


async def contact(
    client: httpx.AsyncClient, admin: H, user: int, kind: str, address: str, delay: float | None
) -> int:
    r = await client.post(
        f"/api/oncall/users/{user}/contact-methods",
        headers=admin,
        json={"kind": kind, "address": address},
    )
    assert r.status_code == 201, r.text
    method: int = r.json()["id"]
    if delay is not None:
        rule = await client.post(
            f"/api/oncall/users/{user}/notification-rules",
            headers=admin,
            json={"contact_method_id": method, "delay_minutes": delay},
        )
        assert rule.status_code == 201, rule.text
    return method


async def fire(
    client: httpx.AsyncClient, admin: H, ingest: H, db: Database, steps: list[dict[str, Any]]
) -> tuple[int, datetime]:
    """A policy, a route naming it, one alert; returns (group id, the group's due time)."""
    policy = await client.post(
        "/api/oncall/escalation-policies",
        headers=admin,
        json={"name": "checkout-oncall", "steps": steps},
    )
    assert policy.status_code == 201, policy.text
    route = await client.post(
        "/api/alerting/routes",
        headers=admin,
        json={
            "name": "checkout",
            "matchers": ['service="checkout"'],
            "escalation_policy_id": policy.json()["id"],
            "group_wait_s": 1,
        },
    )
    assert route.status_code == 201, route.text
    alert = await client.post(
        "/api/alerts",
        headers=ingest,
        json={
            "service_name": "checkout",
            "alert_name": "CheckoutErrors",
            "title": "Checkout error rate above 5%",
            "severity": "critical",
        },
    )
    assert alert.status_code == 201, alert.text
    due = datetime.now(UTC) + timedelta(seconds=2)
    async with db.transaction() as session:
        assert await flush_due_groups(session, due) == 1
    group_id = (await client.get("/api/alerts/groups", headers=admin)).json()["items"][0]["id"]
    return int(group_id), due


def at(t: datetime) -> Callable[[], datetime]:
    return lambda: t


async def test_page_wait_escalate_and_ack_via_signed_link(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    settings: Settings,
    http: HttpReceiver,
    smtp: SmtpReceiver,
) -> None:
    alice = await make_user(client, admin_headers, "Alice")
    bob = await make_user(client, admin_headers, "Bob")
    await contact(client, admin_headers, alice, "slack", f"{http.url}/slack/alice", None)
    await contact(client, admin_headers, alice, "email", "alice@example.com", None)
    await contact(client, admin_headers, bob, "webhook", f"{http.url}/hook/bob", 0)
    await contact(client, admin_headers, bob, "sms", "+15550001111", 5)
    group, due = await fire(
        client,
        admin_headers,
        ingest_headers,
        db,
        [
            {"kind": "notify_users", "targets": [alice]},
            {"kind": "wait", "wait_minutes": 1},
            {"kind": "notify_users", "targets": [bob]},
            {"kind": "wait", "wait_minutes": 10},
        ],
    )
    ns, secret = notify_settings(http, smtp), settings.jwt_secret()

    await escalate_and_deliver(db, ns, secret, at(due))
    await escalate_and_deliver(db, ns, secret, at(due + timedelta(seconds=30)))
    slack = http.on("/slack/alice")
    assert len(slack) == 1 and len(smtp.to("alice@example.com")) == 1
    assert "Checkout error rate above 5%" in slack[0].json()["text"]
    assert "[CRITICAL]" in slack[0].json()["text"] and "checkout" in slack[0].json()["text"]
    mail = smtp.to("alice@example.com")[0]
    assert mail["Subject"].startswith("[CRITICAL] Checkout error rate")
    plain, rich = email_parts(mail)  # multipart/alternative: text and HTML
    buttons = html_buttons(rich)
    assert set(buttons) == {"Acknowledge", "Resolve"}
    assert f"Acknowledge: {buttons['Acknowledge']}" in plain
    assert f"Resolve: {buttons['Resolve']}" in plain
    assert buttons["Acknowledge"].startswith("http://sentinel.test/api/notify/actions/")
    assert "Checkout error rate above 5%" in rich and "1 alert(s): CheckoutErrors" in rich
    assert http.on("/hook/bob") == []  # still inside the 1-minute wait

    # Somebody edits the policy mid-incident: the running escalation keeps its frozen chain.
    [policy] = (await client.get("/api/oncall/escalation-policies", headers=admin_headers)).json()[
        "items"
    ]
    edited = await client.put(
        f"/api/oncall/escalation-policies/{policy['id']}",
        headers=admin_headers,
        json={"name": policy["name"], "steps": [{"kind": "notify_users", "targets": [alice]}]},
    )
    assert edited.status_code == 200, edited.text
    await escalate_and_deliver(db, ns, secret, at(due + timedelta(seconds=61)))
    await escalate_and_deliver(db, ns, secret, at(due + timedelta(seconds=62)))
    hooks = http.on("/hook/bob")
    assert len(hooks) == 1 and len(http.on("/slack/alice")) == 1
    signed = hooks[0]
    stamp = int(signed.headers["X-Sentinel-Timestamp"])
    assert signed.headers["X-Sentinel-Signature"] == webhook_signature(secret, stamp, signed.body)
    assert signed.json()["group_id"] == group

    buttons = slack[0].json()["blocks"][1]["elements"]
    ack_url = urlsplit(buttons[0]["url"]).path
    assert (await client.get(ack_url)).status_code == 200  # a confirmation page, no action
    forged = await client.post(ack_url[:-3] + "xyz")
    assert forged.status_code == 403
    acked = await client.post(ack_url)
    assert acked.status_code == 200, acked.text
    assert acked.json() == {"group_id": group, "action": "acknowledge", "alerts_changed": 1}

    # Bob's SMS rule (5 min) is cancelled; the chain does not go on.
    await escalate_and_deliver(db, ns, secret, at(due + timedelta(minutes=20)))
    assert http.on("/2010-04-01/Accounts/AC123/Messages.json") == []
    async with db.transaction() as session:
        escalation = await session.scalar(select(Escalation).where(Escalation.group_id == group))
        assert escalation is not None and escalation.status == "acknowledged"
        statuses = dict(
            (await session.execute(select(OutboxMessage.channel, OutboxMessage.status))).all()
        )
    assert statuses == {"slack": "sent", "email": "sent", "webhook": "sent", "sms": "cancelled"}

    listed = await client.get(f"/api/oncall/escalations?group_id={group}", headers=admin_headers)
    [running] = listed.json()["items"]
    assert running["status"] == "acknowledged" and running["stopped_by"] == "signed link"
    assert [s["kind"] for s in running["chain"]] == ["notify_users", "wait", "notify_users", "wait"]
    one = await client.get(f"/api/oncall/escalations/{running['id']}", headers=admin_headers)
    assert one.status_code == 200
    assert (
        await client.get("/api/oncall/escalations/424242", headers=admin_headers)
    ).status_code == 404
    assert (await client.get("/api/oncall/escalations")).status_code == 401
    history = await client.get(f"/api/notifications?group_id={group}", headers=admin_headers)
    assert history.status_code == 200
    items = history.json()["items"]
    assert sorted(i["channel"] for i in items) == ["email", "slack", "webhook"]
    assert all(i["ok"] and i["latency_ms"] > 0 for i in items)
    assert (await client.get("/api/notifications")).status_code == 401
    # The route still names the policy: deleting it would silently stop paging.
    in_use = await client.delete(
        f"/api/oncall/escalation-policies/{policy['id']}", headers=admin_headers
    )
    assert in_use.status_code == 409 and "route" in in_use.json()["detail"]


async def test_sms_reply_code_resolves_through_twilio_inbound_format(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    settings: Settings,
    http: HttpReceiver,
    smtp: SmtpReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    carol = await make_user(client, admin_headers, "Carol")
    await contact(client, admin_headers, carol, "sms", "+15550002222", None)
    await contact(client, admin_headers, carol, "voice", "+15550002222", None)
    group, due = await fire(
        client,
        admin_headers,
        ingest_headers,
        db,
        [{"kind": "notify_users", "targets": [carol]}],
    )
    ns = notify_settings(http, smtp)
    await escalate_and_deliver(db, ns, settings.jwt_secret(), at(due))
    sms = http.on("/2010-04-01/Accounts/AC123/Messages.json")
    calls = http.on("/2010-04-01/Accounts/AC123/Calls.json")
    assert len(sms) == 1 and len(calls) == 1
    form = dict(httpx.QueryParams(sms[0].body.decode()))
    assert form["To"] == "+15550002222" and f"'{group} res'" in form["Body"]
    assert sms[0].headers["Authorization"].startswith("Basic ")
    assert "<Say>" in dict(httpx.QueryParams(calls[0].body.decode()))["Twiml"]

    monkeypatch.setenv("SENTINEL_NOTIFY_TWILIO_AUTH_TOKEN", "twilio-token")
    monkeypatch.setenv("SENTINEL_NOTIFY_PUBLIC_URL", "http://sentinel.test")
    reply = {"From": "+15550002222", "To": "+15550000000", "Body": f"{group} res"}
    path = "/api/notify/twilio/inbound"
    signature = twilio_signature("twilio-token", "http://sentinel.test" + path, reply)
    unsigned = await client.post(path, data=reply)
    assert unsigned.status_code == 403
    stranger = {**reply, "From": "+15559999999"}
    other = await client.post(
        path,
        data=stranger,
        headers={
            "X-Twilio-Signature": twilio_signature(
                "twilio-token", "http://sentinel.test" + path, stranger
            )
        },
    )
    assert "was not paged" in other.text
    answer = await client.post(path, data=reply, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200 and "resolved (1 alert(s))" in answer.text
    alerts = (await client.get("/api/alerts", headers=admin_headers)).json()["items"]
    assert alerts[0]["status"] == "resolved"
    async with db.transaction() as session:
        escalation = await session.scalar(select(Escalation).where(Escalation.group_id == group))
    assert escalation is not None and escalation.status == "resolved"


async def test_failing_channel_retries_without_blocking_and_crash_mid_step_repeats_nothing(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    settings: Settings,
    http: HttpReceiver,
    smtp: SmtpReceiver,
) -> None:
    dave = await make_user(client, admin_headers, "Dave")
    await contact(client, admin_headers, dave, "webhook", f"{http.url}/fail/dave", None)
    await contact(client, admin_headers, dave, "catchall", f"{http.url}/apprise/dave", None)
    group, due = await fire(
        client,
        admin_headers,
        ingest_headers,
        db,
        [{"kind": "notify_users", "targets": [dave]}],
    )
    ns, secret = notify_settings(http, smtp, max_attempts=2), settings.jwt_secret()

    # A crash in the middle of the step: its transaction rolls back, nothing is queued
    # and the escalation is still on step 0.
    async with db.transaction() as session:
        await consumer.consume_events(session, due)
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            assert await engine.run_due_steps(session, due, ns, secret) == 1
            raise RuntimeError("worker killed")
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        escalation = await session.scalar(select(Escalation))
        assert escalation is not None and escalation.step_index == 0
        # The same page queued twice (two replicas) is one row: the key is unique.
        page = await engine.build_page(session, group, due, ns, secret)
        assert await engine.page_user(session, escalation, 0, dave, page, due, ns) == 2
        assert await engine.page_user(session, escalation, 0, dave, page, due, ns) == 0
        await session.rollback()

    await escalate_and_deliver(db, ns, secret, at(due))
    assert len(http.on("/apprise/dave")) == 1 and len(http.on("/fail/dave")) == 1
    assert http.on("/apprise/dave")[0].json()["title"].startswith("[CRITICAL]")
    await escalate_and_deliver(db, ns, secret, at(due))  # retry not due yet
    assert len(http.on("/fail/dave")) == 1
    await escalate_and_deliver(db, ns, secret, at(due + timedelta(seconds=5)))
    assert len(http.on("/fail/dave")) == 2 and len(http.on("/apprise/dave")) == 1
    await escalate_and_deliver(db, ns, secret, at(due + timedelta(minutes=5)))
    assert len(http.on("/fail/dave")) == 2  # max_attempts reached
    history = (
        await client.get(
            f"/api/notifications?group_id={group}&channel=webhook", headers=admin_headers
        )
    ).json()["items"]
    assert [(i["ok"], i["status_code"], i["message_status"]) for i in history] == [
        (False, 500, "failed"),
        (False, 500, "failed"),
    ]


async def test_schedule_and_team_steps_pagerduty_out_and_per_address_rate_limit(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    settings: Settings,
    http: HttpReceiver,
    smtp: SmtpReceiver,
) -> None:
    erin = await make_user(client, admin_headers, "Erin")
    finn = await make_user(client, admin_headers, "Finn")
    await contact(client, admin_headers, erin, "pagerduty", "R" * 32, None)
    await contact(client, admin_headers, finn, "webhook", f"{http.url}/hook/shared", None)
    await contact(client, admin_headers, erin, "webhook", f"{http.url}/hook/shared", None)
    schedule = await client.post(
        "/api/oncall/schedules",
        headers=admin_headers,
        json={
            "name": "primary",
            "layers": [
                {"rotation": "weekly", "participants": [erin], "start": "2026-01-05T09:00:00"}
            ],
        },
    )
    assert schedule.status_code == 201, schedule.text
    team = await client.post("/api/teams", headers=admin_headers, json={"name": "payments"})
    assert team.status_code == 201, team.text
    joined = await client.post(
        f"/api/teams/{team.json()['id']}/members",
        headers=admin_headers,
        json={"user_id": finn},
    )
    assert joined.status_code in (200, 201), joined.text
    group, due = await fire(
        client,
        admin_headers,
        ingest_headers,
        db,
        [
            {"kind": "notify_schedule", "targets": [schedule.json()["id"]]},
            {"kind": "notify_team", "targets": [team.json()["id"]]},
        ],
    )
    ns = notify_settings(
        http, smtp, pagerduty_events_url=f"{http.url}/v2/enqueue", rate_limit_per_minute=1
    )
    await escalate_and_deliver(db, ns, settings.jwt_secret(), at(due))
    [event] = http.on("/v2/enqueue")
    body = event.json()
    assert body["routing_key"] == "R" * 32 and body["event_action"] == "trigger"
    assert body["dedup_key"] == f"sentinel-group-{group}"
    assert body["payload"]["severity"] == "critical" and body["payload"]["source"] == "checkout"
    # Erin (schedule) and Finn (team) share one webhook address limited to 1 per minute:
    # the second page waits instead of being dropped.
    assert len(http.on("/hook/shared")) == 1
    await escalate_and_deliver(db, ns, settings.jwt_secret(), at(due + timedelta(seconds=30)))
    assert len(http.on("/hook/shared")) == 1
    async with db.transaction() as session:
        waiting = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending"))
        ).all()
    assert len(waiting) == 1 and waiting[0].attempts == 0
    await escalate_and_deliver(db, ns, settings.jwt_secret(), at(due + timedelta(seconds=61)))
    assert len(http.on("/hook/shared")) == 2
    paged = sorted(r.json()["idempotency_key"].split(":")[4] for r in http.on("/hook/shared"))
    assert paged == sorted([str(erin), str(finn)])


async def test_a_message_leased_by_a_dead_worker_is_sent_after_the_lease(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    settings: Settings,
    http: HttpReceiver,
    smtp: SmtpReceiver,
) -> None:
    gus = await make_user(client, admin_headers, "Gus")
    await contact(client, admin_headers, gus, "webhook", f"{http.url}/hook/gus", None)
    _, due = await fire(
        client, admin_headers, ingest_headers, db, [{"kind": "notify_users", "targets": [gus]}]
    )
    ns, secret = notify_settings(http, smtp), settings.jwt_secret()
    async with db.transaction() as session:
        await consumer.consume_events(session, due)
        assert await engine.run_due_steps(session, due, ns, secret) == 1
    async with db.transaction() as session:  # a worker leases the page, then dies
        [claimed] = await outbox.claim(session, due, ns)
    await escalate_and_deliver(db, ns, secret, at(due))
    assert http.on("/hook/gus") == []  # the lease still holds: nobody else sends it
    async with db.transaction() as session:
        row = await session.get(OutboxMessage, claimed.id)
        assert row is not None and row.status == "sending"
        row.lease_until = datetime.now(UTC) - timedelta(seconds=1)  # the lease runs out
    await escalate_and_deliver(db, ns, secret, at(due))
    assert len(http.on("/hook/gus")) == 1
    async with db.transaction() as session:
        row = await session.get(OutboxMessage, claimed.id)
        assert row is not None and row.status == "sent" and row.attempts == 2


async def test_route_channels_hear_each_notification_once_without_a_policy(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    settings: Settings,
    http: HttpReceiver,
    smtp: SmtpReceiver,
) -> None:
    route = await client.post(
        "/api/alerting/routes",
        headers=admin_headers,
        json={
            "name": "db",
            "matchers": ['service="db"'],
            "channels": [
                f"slack:{http.url}/slack/db-alerts",
                "email:dba@example.com",
                "pigeon:coop",
            ],
            "group_wait_s": 1,
        },
    )
    assert route.status_code == 201, route.text
    body = {"service_name": "db", "alert_name": "DiskFull", "severity": "high"}
    assert (await client.post("/api/alerts", headers=ingest_headers, json=body)).status_code == 201
    due = datetime.now(UTC) + timedelta(seconds=2)
    async with db.transaction() as session:
        assert await flush_due_groups(session, due) == 1
    ns, secret = notify_settings(http, smtp), settings.jwt_secret()
    await escalate_and_deliver(db, ns, secret, at(due))
    await escalate_and_deliver(db, ns, secret, at(due + timedelta(seconds=1)))
    [slack] = http.on("/slack/db-alerts")
    assert slack.json()["text"] == "[HIGH] DiskFull (db)"
    assert len(smtp.to("dba@example.com")) == 1
    # Another alert joins: the next notification reaches the channels once more.
    body2 = {**body, "alert_name": "DiskFull", "labels": {"disk": "sdb"}}
    assert (await client.post("/api/alerts", headers=ingest_headers, json=body2)).status_code == 201
    async with db.transaction() as session:
        assert await flush_due_groups(session, due + timedelta(minutes=6)) == 1
    await escalate_and_deliver(db, ns, secret, at(due + timedelta(minutes=6)))
    assert len(http.on("/slack/db-alerts")) == 2 and len(smtp.to("dba@example.com")) == 2
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Escalation)) == 0
