"""Channel senders: Slack (incoming webhook or bot token), email (SMTP), SMS and voice
(Twilio REST), signed webhook, PagerDuty Events v2, and a catch-all JSON POST. Each send
returns a Delivery and never raises, so one failing channel cannot block the others."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx

from sentinel.notify import twiml
from sentinel.notify.config import NotifySettings
from sentinel.notify.links import RESPOND, sign, webhook_signature
from sentinel.notify.message import Page

KEYPAD_PATH = "/api/notify/twilio/voice/"


@dataclass(frozen=True)
class Delivery:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    retryable: bool = True
    latency_ms: float = 0.0


@dataclass(frozen=True)
class Target:
    channel: str
    address: str


class Senders:
    """Holds one HTTP client for a delivery round; `send` picks the channel."""

    def __init__(self, settings: NotifySettings, secret: str, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.secret = secret
        self.http = client

    async def send(self, target: Target, page: Page, key: str) -> Delivery:
        started = time.perf_counter()
        try:
            result = await self._dispatch(target, page, key)
        except (httpx.HTTPError, aiosmtplib.SMTPException, OSError) as exc:
            result = Delivery(False, None, f"{type(exc).__name__}: {exc}", True)
        except Exception as exc:  # a bug in one channel must not stop the round
            result = Delivery(False, None, f"{type(exc).__name__}: {exc}", False)
        latency = (time.perf_counter() - started) * 1000
        return Delivery(result.ok, result.status_code, result.error, result.retryable, latency)

    async def _dispatch(self, target: Target, page: Page, key: str) -> Delivery:
        channel = target.channel
        if channel == "email":
            return await self._email(target.address, page)
        if channel == "slack":
            return await self._slack(target.address, page)
        if channel in ("sms", "voice"):
            return await self._twilio(channel, target.address, page)
        if channel == "webhook":
            return await self._webhook(target.address, page, key)
        if channel == "pagerduty":
            return await self._pagerduty(target.address, page)
        if channel == "catchall":
            kind = "success" if page.resolved else "failure"
            body = {"title": page.subject(), "body": page.text(), "type": kind}
            return _http_result(await self.http.post(target.address, json=body))
        return Delivery(False, None, f"unknown channel {channel!r}", False)

    async def _email(self, address: str, page: Page) -> Delivery:
        s = self.settings
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.smtp_from, address, page.subject()
        message["X-Sentinel-Group"] = str(page.group_id)
        message.set_content(page.text())
        message.add_alternative(page.html(), subtype="html")  # multipart/alternative
        await aiosmtplib.send(
            message,
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            start_tls=s.smtp_starttls,
            use_tls=s.smtp_use_tls,
            timeout=s.http_timeout_seconds,
        )
        return Delivery(True, 250)

    async def _slack(self, address: str, page: Page) -> Delivery:
        if address.startswith(("http://", "https://")):
            return _http_result(await self.http.post(address, json=page.slack()))
        token = self.settings.slack_bot_token
        if token is None:
            return Delivery(
                False, None, "a Slack channel needs SENTINEL_NOTIFY_SLACK_BOT_TOKEN", False
            )
        interactive = self.settings.slack_signing_secret is not None
        response = await self.http.post(
            self.settings.slack_api_url.rstrip("/") + "/chat.postMessage",
            json={"channel": address, **page.slack(interactive)},
            headers={"Authorization": f"Bearer {token.get_secret_value()}"},
        )
        result = _http_result(response)
        if result.ok and not _json(response).get("ok", False):
            error = str(_json(response).get("error", "not ok"))
            return Delivery(False, response.status_code, f"slack: {error}", error == "ratelimited")
        return result

    async def _twilio(self, channel: str, address: str, page: Page) -> Delivery:
        s = self.settings
        if not s.twilio_account_sid or s.twilio_auth_token is None or not s.twilio_from:
            return Delivery(False, None, "Twilio is not configured", False)
        base = f"{s.twilio_base_url.rstrip('/')}/2010-04-01/Accounts/{s.twilio_account_sid}"
        form = {"To": address, "From": s.twilio_from}
        if channel == "sms":
            url, form["Body"] = f"{base}/Messages.json", page.sms()
        else:  # the call asks for a key; Twilio posts it to the signed keypad URL
            url, form["Twiml"] = f"{base}/Calls.json", twiml.call(page, self._keypad_url(page))
        response = await self.http.post(
            url, data=form, auth=(s.twilio_account_sid, s.twilio_auth_token.get_secret_value())
        )
        return _http_result(response)

    def _keypad_url(self, page: Page) -> str:
        s = self.settings
        expires = datetime.now(UTC) + timedelta(minutes=s.link_ttl_minutes)
        token = sign(self.secret, page.group_id, RESPOND, expires)
        return f"{s.public_url.rstrip('/')}{KEYPAD_PATH}{token}"

    async def _webhook(self, address: str, page: Page, key: str) -> Delivery:
        body = json.dumps({**page.to_json(), "event": page.event, "idempotency_key": key}).encode()
        stamp = int(time.time())
        secret = (
            self.settings.webhook_secret.get_secret_value()
            if self.settings.webhook_secret
            else self.secret
        )
        headers = {
            "Content-Type": "application/json",
            "X-Sentinel-Timestamp": str(stamp),
            "X-Sentinel-Signature": webhook_signature(secret, stamp, body),
            "Idempotency-Key": key,
        }
        return _http_result(await self.http.post(address, content=body, headers=headers))

    async def _pagerduty(self, routing_key: str, page: Page) -> Delivery:
        severity = {"critical": "critical", "high": "error", "warning": "warning"}.get(
            page.severity, "info"
        )
        dedup_key = f"sentinel-group-{page.group_id}"
        if page.resolved:  # closes the incident the trigger opened
            close = {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key}
            return _http_result(
                await self.http.post(self.settings.pagerduty_events_url, json=close)
            )
        body = {
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": dedup_key,
            "payload": {
                "summary": page.subject()[:1024],
                "severity": severity,
                "source": page.service or "sentinel",
                "custom_details": {"summary": page.summary, "alerts": page.alert_count},
            },
            "links": [{"href": page.acknowledge_url, "text": "Acknowledge in Sentinel"}],
        }
        return _http_result(await self.http.post(self.settings.pagerduty_events_url, json=body))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _http_result(response: httpx.Response) -> Delivery:
    code = response.status_code
    if 200 <= code < 300:
        return Delivery(True, code)
    # 4xx other than 408/429 will not get better by retrying.
    retryable = code >= 500 or code in (408, 429)
    return Delivery(False, code, f"HTTP {code}: {response.text[:200]}", retryable)
