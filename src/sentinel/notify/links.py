"""Signed, expiring acknowledge/resolve links (HMAC-SHA256 with the app secret). Pure."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

ACTIONS = ("acknowledge", "resolve")
# A call's keypad answer: the token names the group; the key pressed picks the action.
RESPOND = "respond"
TOKEN_ACTIONS = (*ACTIONS, RESPOND)


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
    if action not in TOKEN_ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    body = f"{group_id}.{action}.{user_id or 0}.{int(expires_at.timestamp())}"
    return f"{body}.{_mac(secret, body)}"


def verify(secret: str, token: str, now: datetime, allowed: tuple[str, ...] = ACTIONS) -> LinkClaim:
    """The claim of a valid token for one of `allowed` actions; BadLink if forged,
    malformed, expired or meant for another endpoint."""
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
    if action not in allowed:
        raise BadLink("the link's action is unknown here")
    expires_at = datetime.fromtimestamp(expiry, UTC)
    if now >= expires_at:
        raise BadLink("the link has expired")
    return LinkClaim(group_id, action, expires_at, user_id or None)


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` over `<timestamp>.<body>` (the X-Sentinel-Signature header)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def twilio_signature(
    auth_token: str, url: str, params: Mapping[str, str] | Sequence[tuple[str, str]]
) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the full URL (query included)
    followed by each form parameter's name and value, sorted (repeated names by value)."""
    pairs = sorted(params.items() if isinstance(params, Mapping) else params)
    data = url + "".join(k + v for k, v in pairs)
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _port_variants(url: str) -> list[str]:
    """The URL as given, and with its scheme's default port added or removed: Twilio's
    libraries accept either form, as proxies differ in whether they keep the port."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if default is None or not host:
        return [url]
    if parts.port is None:
        other = parts._replace(netloc=f"{host}:{default}")
    elif parts.port == default:
        other = parts._replace(netloc=host)
    else:
        return [url]
    return [url, urlunsplit(other)]


def twilio_request_valid(
    auth_token: str, url: str, params: Sequence[tuple[str, str]], signature: str
) -> bool:
    """Whether `signature` is Twilio's for this URL and form body."""
    return any(
        hmac.compare_digest(twilio_signature(auth_token, candidate, params), signature)
        for candidate in _port_variants(url)
    )
