"""What each notification channel is set up with, for the settings page. Pure: reads
NotifySettings and never returns a secret, only whether it is set."""

from __future__ import annotations

from pydantic import BaseModel, Field

from sentinel.notify.channels import KEYPAD_PATH
from sentinel.notify.config import NotifySettings

SettingValue = str | int | bool | None


class ChannelOut(BaseModel):
    channel: str = Field(description="Contact method kinds this covers, e.g. 'sms, voice'.")
    label: str
    configured: bool = Field(description="Pages on this channel can be delivered.")
    summary: str
    settings: dict[str, SettingValue] = Field(description="Non-secret settings, by env var.")
    secrets: dict[str, bool] = Field(description="Secret env vars and whether each is set.")
    callback_urls: dict[str, str] = Field(
        default_factory=dict, description="URLs to give the provider (from the public URL)."
    )


class ChannelsOut(BaseModel):
    public_url: str
    channels: list[ChannelOut]


ENV = "SENTINEL_NOTIFY_"


def _set(value: object) -> bool:
    return value is not None and value != ""


def channels(s: NotifySettings) -> ChannelsOut:
    base = s.public_url.rstrip("/")
    slack_bot = _set(s.slack_bot_token)
    twilio = bool(s.twilio_account_sid and s.twilio_auth_token is not None and s.twilio_from)
    out = [
        ChannelOut(
            channel="email",
            label="Email (SMTP)",
            configured=bool(s.smtp_host and s.smtp_from),
            summary=f"Mail goes through {s.smtp_host}:{s.smtp_port} from {s.smtp_from}"
            + (" (STARTTLS)" if s.smtp_starttls else " (TLS)" if s.smtp_use_tls else "")
            + ".",
            settings={
                f"{ENV}SMTP_HOST": s.smtp_host,
                f"{ENV}SMTP_PORT": s.smtp_port,
                f"{ENV}SMTP_FROM": s.smtp_from,
                f"{ENV}SMTP_USERNAME": s.smtp_username,
                f"{ENV}SMTP_STARTTLS": s.smtp_starttls,
                f"{ENV}SMTP_USE_TLS": s.smtp_use_tls,
            },
            secrets={f"{ENV}SMTP_PASSWORD": _set(s.smtp_password)},
        ),
        ChannelOut(
            channel="slack",
            label="Slack",
            configured=True,
            summary="Incoming-webhook addresses always work; channel names need the bot token"
            + (
                " (set)."
                if slack_bot
                else f" ({ENV}SLACK_BOT_TOKEN is not set, so only webhook URLs work)."
            )
            + (
                " Messages carry Acknowledge/Resolve buttons (signing secret set)."
                if _set(s.slack_signing_secret)
                else ""
            ),
            settings={f"{ENV}SLACK_API_URL": s.slack_api_url},
            secrets={
                f"{ENV}SLACK_BOT_TOKEN": slack_bot,
                f"{ENV}SLACK_SIGNING_SECRET": _set(s.slack_signing_secret),
            },
            callback_urls={"interactivity_request_url": f"{base}/api/notify/slack/interactions"},
        ),
        ChannelOut(
            channel="sms, voice",
            label="SMS and voice (Twilio)",
            configured=twilio,
            summary=(
                f"Texts and calls come from {s.twilio_from}."
                if twilio
                else f"Not set up: set {ENV}TWILIO_ACCOUNT_SID, {ENV}TWILIO_AUTH_TOKEN and "
                f"{ENV}TWILIO_FROM."
            ),
            settings={
                f"{ENV}TWILIO_BASE_URL": s.twilio_base_url,
                f"{ENV}TWILIO_ACCOUNT_SID": s.twilio_account_sid or None,
                f"{ENV}TWILIO_FROM": s.twilio_from or None,
            },
            secrets={f"{ENV}TWILIO_AUTH_TOKEN": _set(s.twilio_auth_token)},
            callback_urls={
                "sms_webhook_url": f"{base}/api/notify/twilio/inbound",
                "voice_keypad_url_prefix": f"{base}{KEYPAD_PATH}",
            },
        ),
        ChannelOut(
            channel="webhook",
            label="Signed webhook",
            configured=True,
            summary="JSON POST signed with HMAC-SHA256 (X-Sentinel-Signature over the "
            "X-Sentinel-Timestamp and the body), "
            + (
                f"keyed with {ENV}WEBHOOK_SECRET."
                if _set(s.webhook_secret)
                else "keyed with the server's secret key (set "
                f"{ENV}WEBHOOK_SECRET for a key of its own)."
            ),
            settings={},
            secrets={f"{ENV}WEBHOOK_SECRET": _set(s.webhook_secret)},
        ),
        ChannelOut(
            channel="pagerduty",
            label="PagerDuty (Events API v2)",
            configured=True,
            summary="A contact method's address is the PagerDuty integration (routing) key.",
            settings={f"{ENV}PAGERDUTY_EVENTS_URL": s.pagerduty_events_url},
            secrets={},
        ),
    ]
    return ChannelsOut(public_url=s.public_url, channels=out)
