"""Slack interactivity, pure parts: the request signature (v0 HMAC-SHA256 of
`v0:{timestamp}:{body}` with the app's signing secret, within a 5-minute replay window)
and the message that replaces a page once somebody pressed one of its buttons."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from sentinel.notify.message import ACK_ACTION, RESOLVE_ACTION

REPLAY_WINDOW_S = 300
ACTIONS = {ACK_ACTION: "acknowledge", RESOLVE_ACTION: "resolve"}


class BadSlackRequest(ValueError):
    """A request that is not Slack's, or too old; the message says which."""


def signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def verify(signing_secret: str, timestamp: str, given: str, body: bytes, now: float) -> None:
    """BadSlackRequest unless `given` is Slack's signature of this body, sent in the last
    five minutes (or at most five ahead: clocks differ)."""
    try:
        sent = int(timestamp)
    except ValueError as exc:
        raise BadSlackRequest("X-Slack-Request-Timestamp is missing or not a number") from exc
    if abs(now - sent) > REPLAY_WINDOW_S:
        raise BadSlackRequest("the request is older than the 5-minute replay window")
    if not hmac.compare_digest(signature(signing_secret, timestamp, body), given):
        raise BadSlackRequest("the X-Slack-Signature header does not match")


def updated_message(
    message: dict[str, Any], action: str, user_id: str, changed: bool = True
) -> dict[str, Any]:
    """The page as it should read now: who did what (or that it had been done already);
    after an acknowledge only Resolve is left to press, after a resolve nothing."""
    blocks = [b for b in message.get("blocks") or [] if b.get("type") != "actions"]
    remaining = [
        element
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements") or []
        if action == "acknowledge" and element.get("action_id") == RESOLVE_ACTION
    ]
    done = "Acknowledged" if action == "acknowledge" else "Resolved"
    mark = ":eyes:" if action == "acknowledge" else ":white_check_mark:"
    text = f"{mark} {done} by <@{user_id}>"
    if not changed:
        text = f":information_source: Already {done.lower()}: nothing changed (<@{user_id}>)"
    who = {"type": "mrkdwn", "text": text}
    blocks.append({"type": "context", "elements": [who]})
    if remaining:
        blocks.append({"type": "actions", "elements": remaining})
    return {"replace_original": True, "text": message.get("text", ""), "blocks": blocks}
