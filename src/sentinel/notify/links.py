"""Signed, expiring acknowledge/resolve links (HMAC-SHA256 with the app secret). Pure."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

ACTIONS = ("acknowledge", "resolve")


class BadLink(ValueError):
    """A link that is malformed, forged or expired; the message says which."""


@dataclass(frozen=True)
class LinkClaim:
    group_id: int
    action: str
    expires_at: datetime
    user_id: int | None


def _mac(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(
    secret: str, group_id: int, action: str, expires_at: datetime, user_id: int | None = None
) -> str:
    """A token `group.action.user.expiry.mac` for a link's path."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    body = f"{group_id}.{action}.{user_id or 0}.{int(expires_at.timestamp())}"
    return f"{body}.{_mac(secret, body)}"


def verify(secret: str, token: str, now: datetime) -> LinkClaim:
    """The claim of a valid token; BadLink if forged, malformed or expired."""
    parts = token.split(".")
    if len(parts) != 5:
        raise BadLink("the link is malformed")
    body, mac = ".".join(parts[:4]), parts[4]
    if not hmac.compare_digest(_mac(secret, body), mac):
        raise BadLink("the link's signature does not match")
    try:
        group_id, action, user_id, expiry = int(parts[0]), parts[1], int(parts[2]), int(parts[3])
    except ValueError as exc:
        raise BadLink("the link is malformed") from exc
    if action not in ACTIONS:
        raise BadLink("the link's action is unknown")
    expires_at = datetime.fromtimestamp(expiry, UTC)
    if now >= expires_at:
        raise BadLink("the link has expired")
    return LinkClaim(group_id, action, expires_at, user_id or None)


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` over `<timestamp>.<body>` (the X-Sentinel-Signature header)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the URL and sorted form params."""
    data = url + "".join(k + params[k] for k in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
