"""Contact-method kinds and address validation. Pure."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

ContactKind = Literal["email", "sms", "voice", "slack", "webhook", "pagerduty", "catchall"]
KINDS: tuple[str, ...] = ("email", "sms", "voice", "slack", "webhook", "pagerduty", "catchall")

_EMAIL = re.compile(
    r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+"
)
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_SLACK_CHANNEL = re.compile(r"[#@]?[A-Za-z0-9._-]{1,80}")
_PD_ROUTING_KEY = re.compile(r"[A-Za-z0-9]{20,64}")


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def check_address(kind: str, address: str) -> str | None:
    """None if `address` is valid for `kind`, else the reason (for a 4xx)."""
    address = address.strip()
    if kind == "email":
        return None if _EMAIL.fullmatch(address) else "not an email address"
    if kind in ("sms", "voice"):
        return None if _E164.fullmatch(address) else "phone numbers are E.164, e.g. +4915112345678"
    if kind == "slack":
        if _is_http_url(address) or _SLACK_CHANNEL.fullmatch(address):
            return None
        return "an incoming webhook URL or a channel (#ops, C0123ABC) for the bot token"
    if kind in ("webhook", "catchall"):
        return None if _is_http_url(address) else "an http(s) URL"
    if kind == "pagerduty":
        return None if _PD_ROUTING_KEY.fullmatch(address) else "a PagerDuty Events v2 routing key"
    return f"unknown contact kind {kind!r}; one of {', '.join(KINDS)}"
