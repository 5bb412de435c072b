"""Slack's interactivity endpoint: a press on a page's Acknowledge or Resolve button (a
`payload=` form signed with the Slack app's signing secret) acts on the alert group and
rewrites the message through its `response_url`."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx
from fastapi import APIRouter, BackgroundTasks, Request, Response

from sentinel.api.deps import SessionDep, SettingsDep
from sentinel.api.errors import BadRequest, Forbidden
from sentinel.notify import links, slack
from sentinel.notify.actions import act_on_group
from sentinel.notify.config import NotifySettings

router = APIRouter(tags=["notifications"])
log = logging.getLogger("sentinel.notify")


async def update_message(url: str, body: dict[str, Any], seconds: float) -> None:
    """Rewrite the page in Slack (after the action committed: a background task)."""
    try:
        async with httpx.AsyncClient(timeout=seconds) as client:
            response = await client.post(url, json=body)
        if response.status_code >= 300:
            log.warning("slack response_url refused", extra={"status": response.status_code})
    except httpx.HTTPError as exc:
        log.warning("slack response_url failed", extra={"error": str(exc)})


def _payload(body: bytes) -> dict[str, Any]:
    form = dict(parse_qsl(body.decode("utf-8", "replace")))
    try:
        payload = json.loads(form["payload"])
    except (KeyError, ValueError) as exc:
        raise BadRequest("Expected Slack's form body with a JSON 'payload' field.") from exc
    if not isinstance(payload, dict):
        raise BadRequest("Slack's 'payload' must be a JSON object.")
    return payload


@router.post("/api/notify/slack/interactions", response_class=Response)
async def slack_interaction(
    request: Request, session: SessionDep, settings: SettingsDep, background: BackgroundTasks
) -> Response:
    """Slack's interactivity request URL: block_actions from a page's buttons acknowledge
    or resolve its alert group (who: the Slack user). Other interaction types are ignored."""
    notify = NotifySettings()
    if notify.slack_signing_secret is None:
        raise Forbidden(
            "Slack interactivity is not configured: set SENTINEL_NOTIFY_SLACK_SIGNING_SECRET "
            "to the Slack app's signing secret."
        )
    body = await request.body()
    try:
        slack.verify(
            notify.slack_signing_secret.get_secret_value(),
            request.headers.get("X-Slack-Request-Timestamp", ""),
            request.headers.get("X-Slack-Signature", ""),
            body,
            time.time(),
        )
    except slack.BadSlackRequest as exc:
        raise Forbidden(f"Not a valid Slack request: {exc}.") from exc
    payload = _payload(body)
    if payload.get("type") != "block_actions":
        return Response(status_code=200)
    user = payload.get("user") or {}
    user_id = str(user.get("id", ""))
    who = f"slack:{user.get('username') or user.get('name') or user_id}"
    for pressed in payload.get("actions") or []:
        action = slack.ACTIONS.get(str(pressed.get("action_id", "")))
        if action is None:
            continue
        token = str(pressed.get("value", ""))
        try:
            claim = links.verify(settings.jwt_secret(), token, datetime.now(UTC))
        except links.BadLink as exc:
            raise Forbidden(f"This button cannot be used: {exc}.") from exc
        if claim.action != action:
            raise Forbidden(f"This button's token is for {claim.action}, not {action}.")
        changed = await act_on_group(session, claim.group_id, action, who, datetime.now(UTC))
        url = payload.get("response_url")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            message = payload.get("message") or {}
            update = slack.updated_message(message, action, user_id, changed > 0)
            background.add_task(update_message, url, update, notify.http_timeout_seconds)
    return Response(status_code=200)
