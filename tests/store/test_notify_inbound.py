"""Acting on a page from the message itself, on both databases, against real receivers on
loopback: a page call's keypad answer (Twilio's <Gather> webhook, signed like Twilio signs
it) and Slack's interactive buttons (the signed `payload=` form Slack posts), each
acknowledging or resolving the alert group and stopping escalation."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from sentinel.config import Settings
from sentinel.notify.links import sign
from sentinel.oncall.models import Escalation
from sentinel.oncall.tasks import escalate_and_deliver
from sentinel.storage.engine import Database
from tests.api.test_oncall_api import make_user
from tests.notify_receivers import (
    HttpReceiver,
    SmtpReceiver,
    answer_call,
    slack_press,
    slack_sign,
    twilio_sign,
)
from tests.store.test_oncall_engine import at, contact, fire, notify_settings

H = dict[str, str]
CALLS = "/2010-04-01/Accounts/AC123/Calls.json"
TOKEN = "twilio-token"
SIGNING = "slack-signing-secret"
INTERACTIONS = "/api/notify/slack/interactions"


async def post_form(
    client: httpx.AsyncClient, url: str, form: list[tuple[str, str]], signature: str | None
) -> httpx.Response:
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    return await client.post(url, data=dict(form), headers=headers)


async def test_pressing_1_on_the_page_call_acknowledges_and_stops_escalation(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    settings: Settings,
    http: HttpReceiver,
    smtp: SmtpReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SENTINEL_NOTIFY_TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("SENTINEL_NOTIFY_PUBLIC_URL", "http://sentinel.test")
    dana = await make_user(client, admin_headers, "Dana")
    eli = await make_user(client, admin_headers, "Eli")
    await contact(client, admin_headers, dana, "voice", "+15550004444", None)
    await contact(client, admin_headers, eli, "webhook", f"{http.url}/hook/eli", None)
    group, due = await fire(
        client,
        admin_headers,
        ingest_headers,
        db,
        [
            {"kind": "notify_users", "targets": [dana]},
            {"kind": "wait", "wait_minutes": 1},
            {"kind": "notify_users", "targets": [eli]},
        ],
    )
    ns, secret = notify_settings(http, smtp), settings.jwt_secret()
    await escalate_and_deliver(db, ns, secret, at(due))
    [call] = http.on(CALLS)
    assert call.headers["Authorization"].startswith("Basic ")

    nothing = answer_call(call, "9", TOKEN)
    assert urlsplit(nothing.action).netloc == "sentinel.test"
    again = await post_form(client, nothing.action, nothing.form, nothing.signature)
    assert again.status_code == 200 and again.headers["content-type"].startswith("application/xml")
    assert "<Gather" in again.text and "Sorry. Press 1 to acknowledge" in again.text
    assert f'action="{nothing.action}"' in again.text

    press = answer_call(call, "1", TOKEN)
    refusals = [
        (press.form, None),  # unsigned
        (press.form, twilio_sign("another-token", press.action, press.form)),
        ([(k, "2" if k == "Digits" else v) for k, v in press.form], press.signature),  # altered
    ]
    for form, signature in refusals:
        refused = await post_form(client, press.action, form, signature)
        assert refused.status_code == 403, refused.text
        assert "X-Twilio-Signature" in refused.json()["detail"]
    forged = press.action[:-4] + "AAAA"
    wrong_token = await post_form(
        client, forged, press.form, twilio_sign(TOKEN, forged, press.form)
    )
    assert wrong_token.status_code == 403 and "keypad link" in wrong_token.json()["detail"]
    ack_link = "http://sentinel.test/api/notify/twilio/voice/" + sign(
        secret, group, "acknowledge", due + timedelta(hours=1)
    )
    not_a_keypad = await post_form(
        client, ack_link, press.form, twilio_sign(TOKEN, ack_link, press.form)
    )
    assert not_a_keypad.status_code == 403
    stranger = [(k, "+15559999999" if k in ("To", "Called") else v) for k, v in press.form]
    unknown = await post_form(
        client, press.action, stranger, twilio_sign(TOKEN, press.action, stranger)
    )
    assert unknown.status_code == 200 and "was not paged" in unknown.text
    alerts = (await client.get("/api/alerts", headers=admin_headers)).json()["items"]
    assert alerts[0]["status"] == "firing"  # none of that changed anything

    acked = await post_form(client, press.action, press.form, press.signature)
    assert acked.status_code == 200, acked.text
    assert f"Alert group {group} acknowledged. Escalation stopped." in acked.text
    assert "<Hangup/>" in acked.text
    alerts = (await client.get("/api/alerts", headers=admin_headers)).json()["items"]
    assert alerts[0]["status"] == "acknowledged"
    assert alerts[0]["acknowledged_by"] == "voice:+15550004444"
    await escalate_and_deliver(db, ns, secret, at(due + timedelta(minutes=5)))
    assert http.on("/hook/eli") == []  # past the wait: nobody else is paged
    async with db.transaction() as session:
        escalation = await session.scalar(select(Escalation).where(Escalation.group_id == group))
    assert escalation is not None and escalation.status == "acknowledged"
    assert escalation.stopped_by == "voice:+15550004444"

    resolve = answer_call(call, "2", TOKEN)
    resolved = await post_form(client, resolve.action, resolve.form, resolve.signature)
    assert f"Alert group {group} resolved." in resolved.text
    twice = await post_form(client, resolve.action, resolve.form, resolve.signature)
    assert "already resolved" in twice.text
    alerts = (await client.get("/api/alerts", headers=admin_headers)).json()["items"]
    assert alerts[0]["status"] == "resolved"


async def press(
    client: httpx.AsyncClient, body: bytes, secret: str = SIGNING, age_s: float = 0
) -> httpx.Response:
    stamp = str(int(time.time() - age_s))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_sign(secret, stamp, body),
    }
    return await client.post(INTERACTIONS, content=body, headers=headers)


async def test_slack_buttons_acknowledge_then_resolve_and_rewrite_the_message(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    settings: Settings,
    http: HttpReceiver,
    smtp: SmtpReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fay = await make_user(client, admin_headers, "Fay")
    gil = await make_user(client, admin_headers, "Gil")
    await contact(client, admin_headers, fay, "slack", "#pay-fay", None)  # via the bot token
    await contact(client, admin_headers, gil, "webhook", f"{http.url}/hook/gil", None)
    group, due = await fire(
        client,
        admin_headers,
        ingest_headers,
        db,
        [
            {"kind": "notify_users", "targets": [fay]},
            {"kind": "wait", "wait_minutes": 1},
            {"kind": "notify_users", "targets": [gil]},
        ],
    )
    ns = notify_settings(
        http,
        smtp,
        slack_api_url=http.url,
        slack_bot_token=SecretStr("xoxb-test"),
        slack_signing_secret=SecretStr(SIGNING),
    )
    await escalate_and_deliver(db, ns, settings.jwt_secret(), at(due))
    [posted] = [r.json() for r in http.on("/chat.postMessage")]
    buttons = posted["blocks"][1]["elements"]
    assert [b["action_id"] for b in buttons] == ["sentinel_acknowledge", "sentinel_resolve"]
    assert all("url" not in b for b in buttons)  # interactive, not links
    respond = f"{http.url}/slack/actions/T0ACME/1/xyz"
    ack = slack_press(posted, "sentinel_acknowledge", respond)

    assert (await press(client, ack)).status_code == 403  # not configured yet
    monkeypatch.setenv("SENTINEL_NOTIFY_SLACK_SIGNING_SECRET", SIGNING)
    unsigned = await client.post(
        INTERACTIONS, content=ack, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert unsigned.status_code == 403
    assert (await press(client, ack, secret="not-the-secret")).status_code == 403
    stale = await press(client, ack, age_s=301)
    assert stale.status_code == 403 and "replay window" in stale.json()["detail"]
    malformed = await press(client, b"payload=%7Bnot+json")
    assert malformed.status_code == 400 and "payload" in malformed.json()["detail"]
    swapped = ack.replace(b"sentinel_acknowledge", b"sentinel_resolve")
    cross = await press(client, swapped)  # a resolve press carrying the acknowledge token
    assert cross.status_code == 403 and "is for acknowledge" in cross.json()["detail"]
    other = urlencode({"payload": json.dumps({"type": "view_closed"})}).encode()
    assert (await press(client, other)).status_code == 200
    assert http.on("/slack/actions/T0ACME/1/xyz") == []
    alerts = (await client.get("/api/alerts", headers=admin_headers)).json()["items"]
    assert alerts[0]["status"] == "firing"

    pressed = await press(client, ack)
    assert pressed.status_code == 200, pressed.text
    alerts = (await client.get("/api/alerts", headers=admin_headers)).json()["items"]
    assert alerts[0]["status"] == "acknowledged" and alerts[0]["acknowledged_by"] == "slack:fay"
    [update] = [r.json() for r in http.on("/slack/actions/T0ACME/1/xyz")]
    assert update["replace_original"] is True
    assert update["text"] == posted["text"]
    assert update["blocks"][1]["elements"][0]["text"] == ":eyes: Acknowledged by <@U0FAY>"
    assert [e["action_id"] for e in update["blocks"][2]["elements"]] == ["sentinel_resolve"]
    await escalate_and_deliver(db, ns, settings.jwt_secret(), at(due + timedelta(minutes=5)))
    assert http.on("/hook/gil") == []  # escalation stopped
    async with db.transaction() as session:
        escalation = await session.scalar(select(Escalation).where(Escalation.group_id == group))
    assert escalation is not None and escalation.stopped_by == "slack:fay"

    # The rewritten message's Resolve button, pressed.
    resolve = slack_press({**posted, **update}, "sentinel_resolve", respond)
    assert (await press(client, resolve)).status_code == 200
    alerts = (await client.get("/api/alerts", headers=admin_headers)).json()["items"]
    assert alerts[0]["status"] == "resolved"
    final = http.on("/slack/actions/T0ACME/1/xyz")[-1].json()
    assert [b["type"] for b in final["blocks"]] == ["section", "context", "context"]
    assert final["blocks"][2]["elements"][0]["text"] == ":white_check_mark: Resolved by <@U0FAY>"
    # A stale Acknowledge button pressed after the resolve changes nothing and says so.
    assert (await press(client, ack)).status_code == 200
    stale_note = http.on("/slack/actions/T0ACME/1/xyz")[-1].json()["blocks"][1]["elements"][0]
    assert stale_note["text"].startswith(":information_source: Already acknowledged")
    alerts = (await client.get("/api/alerts", headers=admin_headers)).json()["items"]
    assert alerts[0]["status"] == "resolved"
