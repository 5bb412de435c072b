"""Notification settings (SENTINEL_NOTIFY_*): every channel endpoint is configurable so
tests and air-gapped installs can point them at their own servers."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SENTINEL_NOTIFY_", env_file=".env", extra="ignore"
    )

    # How often the worker turns due alert groups into escalation steps and sends the outbox.
    tick_seconds: float = Field(0.25, gt=0)
    # Base URL people's acknowledge/resolve links point at (this server as users reach it).
    public_url: str = "http://127.0.0.1:8310"
    link_ttl_minutes: float = Field(24 * 60, gt=0)
    max_attempts: int = Field(5, ge=1, le=50)
    retry_base_seconds: float = Field(2.0, gt=0)
    # Per contact address: at most this many messages per minute; the rest wait.
    rate_limit_per_minute: int = Field(20, ge=1)
    http_timeout_seconds: float = Field(10.0, gt=0)
    # How long a worker's delivery round waits for its sends; slower ones (a receiver that
    # hangs until the timeout above) finish in the background, so they delay no other page.
    send_wait_seconds: float = Field(0.5, gt=0)
    batch_size: int = Field(200, ge=1)

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_use_tls: bool = False
    smtp_from: str = "sentinel@localhost"

    slack_api_url: str = "https://slack.com/api"
    slack_bot_token: SecretStr | None = None
    # The Slack app's signing secret: with it, bot-token messages carry interactive buttons
    # and /api/notify/slack/interactions accepts the presses (signed v0 requests).
    slack_signing_secret: SecretStr | None = None

    twilio_base_url: str = "https://api.twilio.com"
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr | None = None
    twilio_from: str = ""

    pagerduty_events_url: str = "https://events.pagerduty.com/v2/enqueue"
    # Webhook bodies are signed with this (HMAC-SHA256); defaults to the app secret.
    webhook_secret: SecretStr | None = None
