"""End to end: alerts through the Alertmanager API into a live server page people on
real receivers on loopback (Slack webhook, SMTP, signed webhook): the first person once
per channel; acknowledging via the signed link stops escalation; with nobody answering
the next person is paged after the wait."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import LiveServer, start_server, stop_server
from tests.notify_receivers import HttpReceiver, SmtpReceiver

WAIT_MINUTES = 0.05  # 3 s between the first and the second person


@pytest.fixture
def receivers() -> Iterator[tuple[HttpReceiver, SmtpReceiver]]:
    http, smtp = HttpReceiver().start(), SmtpReceiver().start()
    yield http, smtp
    http.stop()
    smtp.stop()


@pytest.fixture
def paging_server(
    database_url: str, tmp_path: Path, receivers: tuple[HttpReceiver, SmtpReceiver]
) -> Iterator[LiveServer]:
    http, smtp = receivers
    server = start_server(
        database_url,
        tmp_path / "server",
        {
            "SENTINEL_ALERT_TICK_SECONDS": "0.2",
            "SENTINEL_NOTIFY_TICK_SECONDS": "0.2",
            "SENTINEL_NOTIFY_SMTP_HOST": "127.0.0.1",
            "SENTINEL_NOTIFY_SMTP_PORT": str(smtp.port),
            "SENTINEL_NOTIFY_SLACK_API_URL": http.url,
            "SENTINEL_NOTIFY_SLACK_BOT_TOKEN": "xoxb-test",
        },
    )
    try:
        yield server
    finally:
        stop_server(server)


def post(server: LiveServer, headers: dict[str, str], path: str, body: Any) -> Any:
    response = httpx.post(f"{server.url}{path}", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def setup_oncall(server: LiveServer, http: HttpReceiver, service: str) -> tuple[int, int]:
    admin = server.admin_headers()
    users = []
    for name in ("ana", "ben"):
        user = post(
            server,
            admin,
            "/api/users",
            {
                "email": f"{name}-{service}@example.com",
                "name": name.title(),
                "password": "password-123",
                "role": "responder",
            },
        )
        users.append(user["id"])
    ana, ben = users
    post(
        server,
        admin,
        f"/api/oncall/users/{ana}/contact-methods",
        {"kind": "slack", "address": f"{http.url}/slack/{service}/ana"},
    )
    post(
        server,
        admin,
        f"/api/oncall/users/{ana}/contact-methods",
        {"kind": "email", "address": f"ana-{service}@example.com"},
    )
    post(
        server,
        admin,
        f"/api/oncall/users/{ben}/contact-methods",
        {"kind": "slack", "address": f"#{service}-ben"},
    )  # via the bot token
    policy = post(
        server,
        admin,
        "/api/oncall/escalation-policies",
        {
            "name": f"{service} on-call",
            "steps": [
                {"kind": "notify_users", "targets": [ana]},
                {"kind": "wait", "wait_minutes": WAIT_MINUTES},
                {"kind": "notify_users", "targets": [ben]},
            ],
        },
    )
    post(
        server,
        admin,
        "/api/alerting/routes",
        {
            "name": service,
            "matchers": [f'service="{service}"'],
            "escalation_policy_id": policy["id"],
            "group_wait_s": 0.5,
        },
    )
    return ana, ben


def fire(server: LiveServer, service: str) -> None:
    response = httpx.post(
        f"{server.url}/api/v2/alerts",
        headers=server.ingest_headers,
        json=[
            {
                "labels": {
                    "alertname": "HighErrorRate",
                    "service": service,
                    "severity": "critical",
                },
                "annotations": {"summary": f"{service} error rate above 5%"},
            }
        ],
    )
    assert response.status_code == 200, response.text


def bot_messages(http: HttpReceiver, channel: str) -> list[Any]:
    return [r.json() for r in http.on("/chat.postMessage") if r.json()["channel"] == channel]


def test_page_once_then_ack_via_signed_link_stops_escalation(
    paging_server: LiveServer, receivers: tuple[HttpReceiver, SmtpReceiver]
) -> None:
    http, smtp = receivers
    setup_oncall(paging_server, http, "checkout")
    fire(paging_server, "checkout")
    assert http.wait_for(lambda: len(http.on("/slack/checkout/ana")) >= 1, 20), paging_server.log()[
        -3000:
    ]
    assert http.wait_for(lambda: len(smtp.to("ana-checkout@example.com")) >= 1, 10)
    message = http.on("/slack/checkout/ana")[0].json()
    assert "[CRITICAL]" in message["text"] and "checkout" in message["text"]
    ack_path = urlsplit(message["blocks"][1]["elements"][0]["url"]).path
    acked = httpx.post(f"{paging_server.url}{ack_path}")
    assert acked.status_code == 200, acked.text
    assert acked.json()["alerts_changed"] == 1
    time.sleep(WAIT_MINUTES * 60 + 3)  # past the wait: Ben is not paged
    assert bot_messages(http, "#checkout-ben") == []
    assert len(http.on("/slack/checkout/ana")) == 1
    assert len(smtp.to("ana-checkout@example.com")) == 1
    admin = paging_server.admin_headers()
    alerts = httpx.get(f"{paging_server.url}/api/alerts", headers=admin).json()["items"]
    assert alerts[0]["status"] == "acknowledged" and alerts[0]["acknowledged_by"] == "signed link"


def test_nobody_answers_so_the_next_person_is_paged(
    paging_server: LiveServer, receivers: tuple[HttpReceiver, SmtpReceiver]
) -> None:
    http, _ = receivers
    setup_oncall(paging_server, http, "search")
    fire(paging_server, "search")
    assert http.wait_for(lambda: len(http.on("/slack/search/ana")) == 1, 20)
    first = http.on("/slack/search/ana")[0].at
    assert http.wait_for(lambda: len(bot_messages(http, "#search-ben")) == 1, 20)
    second = http.on("/chat.postMessage")[0].at
    assert second - first >= WAIT_MINUTES * 60 - 0.5
    assert http.on("/chat.postMessage")[0].headers["Authorization"] == "Bearer xoxb-test"
    time.sleep(1)
    assert len(http.on("/slack/search/ana")) == 1 and len(bot_messages(http, "#search-ben")) == 1
    admin = paging_server.admin_headers()
    history = httpx.get(f"{paging_server.url}/api/notifications", headers=admin).json()["items"]
    assert sorted(i["channel"] for i in history) == ["email", "slack", "slack"]
    assert all(i["ok"] for i in history)


def test_sigkill_during_a_wait_then_restart_pages_the_next_person_once(
    database_url: str, tmp_path: Path, receivers: tuple[HttpReceiver, SmtpReceiver]
) -> None:
    http, smtp = receivers
    env = {
        "SENTINEL_ALERT_TICK_SECONDS": "0.2",
        "SENTINEL_NOTIFY_TICK_SECONDS": "0.2",
        "SENTINEL_NOTIFY_SMTP_PORT": str(smtp.port),
        "SENTINEL_NOTIFY_SLACK_API_URL": http.url,
        "SENTINEL_NOTIFY_SLACK_BOT_TOKEN": "xoxb-test",
    }
    server = start_server(database_url, tmp_path / "server", env)
    try:
        setup_oncall(server, http, "billing")
        fire(server, "billing")
        assert http.wait_for(lambda: len(http.on("/slack/billing/ana")) == 1, 20)
        # (A message in flight at the kill would be resent after its 60 s lease; wait for
        # both of Ana's so the test is about the escalation timer, not the lease.)
        assert http.wait_for(lambda: len(smtp.to("ana-billing@example.com")) == 1, 10)
        server.process.kill()  # SIGKILL inside the wait step: no clean shutdown
        server.process.wait()
    finally:
        stop_server(server)
    restarted = start_server(database_url, tmp_path / "server", env)
    try:
        assert http.wait_for(lambda: len(bot_messages(http, "#billing-ben")) == 1, 30), (
            restarted.log()[-3000:]
        )
        time.sleep(1.5)
        assert len(http.on("/slack/billing/ana")) == 1
        assert len(smtp.to("ana-billing@example.com")) == 1
        assert len(bot_messages(http, "#billing-ben")) == 1
    finally:
        stop_server(restarted)
