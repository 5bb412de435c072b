"""End to end, a live server on both databases behind a public URL it does not listen on
(as behind a reverse proxy): the page call is answered with a key press, posted by the
loopback "Twilio" exactly as Twilio posts a <Gather> result, and acknowledges the group;
a Slack button press, posted as Slack posts it, acknowledges and then resolves another;
both stop escalation and the resolves reach the paged people as one resolved notice."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import LiveServer, start_server, stop_server
from tests.notify_receivers import HttpReceiver, SmtpReceiver, TwilioCaller, slack_press, slack_sign

PUBLIC = "https://sentinel.example.com"
TWILIO_TOKEN = "e2e-twilio-token"
SIGNING = "e2e-slack-signing-secret"
WAIT_MINUTES = 0.05  # 3 s before the next person
SMS = "/2010-04-01/Accounts/AC123/Messages.json"
CALLS = "/2010-04-01/Accounts/AC123/Calls.json"


@pytest.fixture
def receivers() -> Iterator[tuple[HttpReceiver, SmtpReceiver]]:
    http, smtp = HttpReceiver().start(), SmtpReceiver().start()
    yield http, smtp
    http.stop()
    smtp.stop()


@pytest.fixture
def server(
    database_url: str, tmp_path: Path, receivers: tuple[HttpReceiver, SmtpReceiver]
) -> Iterator[LiveServer]:
    http, smtp = receivers
    live = start_server(
        database_url,
        tmp_path / "server",
        {
            "SENTINEL_ALERT_TICK_SECONDS": "0.2",
            "SENTINEL_NOTIFY_TICK_SECONDS": "0.2",
            "SENTINEL_NOTIFY_PUBLIC_URL": PUBLIC,
            "SENTINEL_NOTIFY_SMTP_PORT": str(smtp.port),
            "SENTINEL_NOTIFY_SLACK_API_URL": http.url,
            "SENTINEL_NOTIFY_SLACK_BOT_TOKEN": "xoxb-e2e",
            "SENTINEL_NOTIFY_SLACK_SIGNING_SECRET": SIGNING,
            "SENTINEL_NOTIFY_TWILIO_BASE_URL": http.url,
            "SENTINEL_NOTIFY_TWILIO_ACCOUNT_SID": "AC123",
            "SENTINEL_NOTIFY_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "SENTINEL_NOTIFY_TWILIO_FROM": "+15550000000",
        },
    )
    try:
        yield live
    finally:
        stop_server(live)


def post(server: LiveServer, path: str, body: Any) -> Any:
    response = httpx.post(f"{server.url}{path}", headers=server.admin_headers(), json=body)
    assert response.status_code == 201, response.text
    return response.json()


def person(server: LiveServer, name: str, kind: str, address: str) -> int:
    user = post(
        server,
        "/api/users",
        {
            "email": f"{name}@example.com",
            "name": name,
            "password": "password-123",
            "role": "responder",
        },
    )
    post(
        server,
        f"/api/oncall/users/{user['id']}/contact-methods",
        {"kind": kind, "address": address},
    )
    user_id: int = user["id"]
    return user_id


def escalate(server: LiveServer, service: str, first: int, second: int) -> None:
    steps = [
        {"kind": "notify_users", "targets": [first]},
        {"kind": "wait", "wait_minutes": WAIT_MINUTES},
        {"kind": "notify_users", "targets": [second]},
    ]
    policy = post(server, "/api/oncall/escalation-policies", {"name": service, "steps": steps})
    route = {
        "name": service,
        "matchers": [f'service="{service}"'],
        "escalation_policy_id": policy["id"],
        "group_wait_s": 0.5,
    }
    post(server, "/api/alerting/routes", route)


def fire(server: LiveServer, service: str) -> None:
    labels = {"alertname": "Down", "service": service, "severity": "critical"}
    response = httpx.post(
        f"{server.url}/api/v2/alerts", headers=server.ingest_headers, json=[{"labels": labels}]
    )
    assert response.status_code == 200, response.text


def alert_of(server: LiveServer, service: str) -> Any:
    alerts = httpx.get(f"{server.url}/api/alerts", headers=server.admin_headers()).json()["items"]
    return next(a for a in alerts if a["service"] == service)


def bot_posts(http: HttpReceiver, channel: str) -> list[Any]:
    return [r.json() for r in http.on("/chat.postMessage") if r.json()["channel"] == channel]


def test_pressing_1_on_the_call_acknowledges_and_the_resolve_arrives_by_sms(
    server: LiveServer, receivers: tuple[HttpReceiver, SmtpReceiver]
) -> None:
    http, _ = receivers
    http.caller = TwilioCaller(TWILIO_TOKEN, "1", origin=server.url)
    hana = person(server, "hana", "voice", "+15550007777")
    ivan = person(server, "ivan", "slack", "#ivan")
    escalate(server, "storage", hana, ivan)
    fire(server, "storage")
    assert http.wait_for(lambda: len(http.caller.answers) == 1, 30), server.log()[-3000:]
    [answer] = http.caller.answers
    assert answer.status_code == 200, answer.text
    assert "acknowledged. Escalation stopped." in answer.text
    twiml = dict(httpx.QueryParams(http.on(CALLS)[0].body.decode()))["Twiml"]
    assert f'action="{PUBLIC}/api/notify/twilio/voice/' in twiml
    alert = alert_of(server, "storage")
    assert alert["status"] == "acknowledged" and alert["acknowledged_by"] == "voice:+15550007777"
    time.sleep(WAIT_MINUTES * 60 + 2)
    assert bot_posts(http, "#ivan") == []  # escalation stopped: Ivan is never paged

    resolved = httpx.post(
        f"{server.url}/api/alerts/{alert['id']}/resolve", headers=server.admin_headers()
    )
    assert resolved.status_code == 200
    assert http.wait_for(lambda: len(http.on(SMS)) == 1, 15)
    body = dict(httpx.QueryParams(http.on(SMS)[0].body.decode()))
    assert body["To"] == "+15550007777" and body["Body"].startswith("[RESOLVED] Down (storage)")
    time.sleep(1)
    assert len(http.on(CALLS)) == 1 and len(http.on(SMS)) == 1


def test_slack_buttons_acknowledge_then_resolve_and_the_channel_hears_it_once(
    server: LiveServer, receivers: tuple[HttpReceiver, SmtpReceiver]
) -> None:
    http, smtp = receivers
    jun = person(server, "jun", "slack", "#ops-jun")
    kai = person(server, "kai", "email", "kai@example.com")
    escalate(server, "billing", jun, kai)
    fire(server, "billing")
    assert http.wait_for(lambda: len(bot_posts(http, "#ops-jun")) == 1, 30), server.log()[-3000:]
    [page] = bot_posts(http, "#ops-jun")
    respond = f"{http.url}/slack/respond/1"

    def press(action_id: str, message: dict[str, Any]) -> httpx.Response:
        body = slack_press(message, action_id, respond)
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": slack_sign(SIGNING, stamp, body),
        }
        return httpx.post(
            f"{server.url}/api/notify/slack/interactions", content=body, headers=headers
        )

    acked = press("sentinel_acknowledge", page)
    assert acked.status_code == 200, acked.text
    assert http.wait_for(lambda: len(http.on("/slack/respond/1")) == 1, 10)
    update = http.on("/slack/respond/1")[0].json()
    assert "Acknowledged by <@U0FAY>" in json.dumps(update)
    assert alert_of(server, "billing")["acknowledged_by"] == "slack:fay"
    time.sleep(WAIT_MINUTES * 60 + 2)
    assert smtp.to("kai@example.com") == []  # escalation stopped

    assert press("sentinel_resolve", {**page, **update}).status_code == 200
    assert alert_of(server, "billing")["status"] == "resolved"
    assert http.wait_for(lambda: len(bot_posts(http, "#ops-jun")) == 2, 15)
    notice = bot_posts(http, "#ops-jun")[1]
    assert notice["text"] == "[RESOLVED] Down (billing)" and len(notice["blocks"]) == 1
    time.sleep(1)
    assert len(bot_posts(http, "#ops-jun")) == 2 and smtp.to("kai@example.com") == []
