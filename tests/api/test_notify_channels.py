"""GET /api/notify/channels: the settings page's view of the notification channels —
non-secret values, whether each secret is set, never a secret (both databases)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import UserFactory

H = dict[str, str]
SECRETS = {
    "SENTINEL_NOTIFY_SMTP_PASSWORD": "smtp-password-value",
    "SENTINEL_NOTIFY_SLACK_BOT_TOKEN": "xoxb-bot-token-value",
    "SENTINEL_NOTIFY_TWILIO_AUTH_TOKEN": "twilio-token-value",
    "SENTINEL_NOTIFY_WEBHOOK_SECRET": "webhook-secret-value",
}


async def test_channels_show_settings_and_which_secrets_are_set(
    client: httpx.AsyncClient, admin_headers: H, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SENTINEL_NOTIFY_PUBLIC_URL", "https://sentinel.example.com/")
    monkeypatch.setenv("SENTINEL_NOTIFY_SMTP_HOST", "mail.example.com")
    monkeypatch.setenv("SENTINEL_NOTIFY_SMTP_PORT", "587")
    monkeypatch.setenv("SENTINEL_NOTIFY_SMTP_STARTTLS", "true")
    monkeypatch.setenv("SENTINEL_NOTIFY_TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setenv("SENTINEL_NOTIFY_TWILIO_FROM", "+15550100")

    r = await client.get("/api/notify/channels", headers=admin_headers)
    assert r.status_code == 200, r.text
    for value in SECRETS.values():
        assert value not in r.text
    body = r.json()
    assert body["public_url"] == "https://sentinel.example.com/"
    by = {c["channel"]: c for c in body["channels"]}
    assert set(by) == {"email", "slack", "sms, voice", "webhook", "pagerduty"}
    email = by["email"]
    assert email["configured"] is True
    assert email["settings"]["SENTINEL_NOTIFY_SMTP_HOST"] == "mail.example.com"
    assert email["settings"]["SENTINEL_NOTIFY_SMTP_PORT"] == 587
    assert email["secrets"] == {"SENTINEL_NOTIFY_SMTP_PASSWORD": True}
    assert "mail.example.com:587" in email["summary"] and "STARTTLS" in email["summary"]
    slack = by["slack"]
    assert slack["secrets"] == {
        "SENTINEL_NOTIFY_SLACK_BOT_TOKEN": True,
        "SENTINEL_NOTIFY_SLACK_SIGNING_SECRET": False,
    }
    assert slack["callback_urls"]["interactivity_request_url"] == (
        "https://sentinel.example.com/api/notify/slack/interactions"
    )
    twilio = by["sms, voice"]
    assert twilio["configured"] is True and "+15550100" in twilio["summary"]
    assert twilio["callback_urls"]["sms_webhook_url"] == (
        "https://sentinel.example.com/api/notify/twilio/inbound"
    )
    assert by["webhook"]["secrets"] == {"SENTINEL_NOTIFY_WEBHOOK_SECRET": True}


async def test_unconfigured_twilio_says_what_to_set(
    client: httpx.AsyncClient, admin_headers: H, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ACCOUNT_SID", "AUTH_TOKEN", "FROM"):
        monkeypatch.delenv(f"SENTINEL_NOTIFY_TWILIO_{name}", raising=False)
    monkeypatch.delenv("SENTINEL_NOTIFY_SLACK_BOT_TOKEN", raising=False)
    r = await client.get("/api/notify/channels", headers=admin_headers)
    by = {c["channel"]: c for c in r.json()["channels"]}
    assert by["sms, voice"]["configured"] is False
    assert "SENTINEL_NOTIFY_TWILIO_AUTH_TOKEN" in by["sms, voice"]["summary"]
    assert by["sms, voice"]["secrets"] == {"SENTINEL_NOTIFY_TWILIO_AUTH_TOKEN": False}
    assert "only webhook URLs work" in by["slack"]["summary"]


async def test_channels_are_for_admins(client: httpx.AsyncClient, login_as: UserFactory) -> None:
    assert (await client.get("/api/notify/channels")).status_code == 401
    editor = await login_as("editor")
    r = await client.get("/api/notify/channels", headers=editor)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
