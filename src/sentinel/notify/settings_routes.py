"""GET /api/notify/channels: how each notification channel is configured (admins)."""

from __future__ import annotations

from fastapi import APIRouter

from sentinel.api.deps import Admin
from sentinel.notify import overview
from sentinel.notify.config import NotifySettings

router = APIRouter(tags=["notifications"])


@router.get("/api/notify/channels", response_model=overview.ChannelsOut)
async def notification_channels(_: Admin) -> overview.ChannelsOut:
    """Email, Slack, Twilio, webhook and PagerDuty as this server is set up (from
    SENTINEL_NOTIFY_* variables): non-secret values, whether each secret is set (never
    the secret), and the callback URLs to give Slack and Twilio."""
    return overview.channels(NotifySettings())
