"""Notification history, signed acknowledge/resolve links and Twilio's inbound SMS hook."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy import select

from sentinel.api.deps import Reader, SessionDep, SettingsDep
from sentinel.api.errors import Forbidden
from sentinel.api.pagination import Page, PageParams, paginate
from sentinel.notify import links
from sentinel.notify.actions import act_on_group, parse_reply
from sentinel.notify.config import NotifySettings
from sentinel.notify.models import NotificationAttempt, OutboxMessage

router = APIRouter(tags=["notifications"])


def now() -> datetime:
    return datetime.now(UTC)


class AttemptOut(BaseModel):
    id: int
    at: datetime
    outbox_id: int
    idempotency_key: str
    group_id: int | None
    user_id: int | None
    step_index: int | None
    channel: str
    address: str
    ok: bool
    status_code: int | None
    error: str | None
    latency_ms: float
    message_status: str


class ActionResult(BaseModel):
    group_id: int
    action: str
    alerts_changed: int


@router.get("/api/notifications", response_model=Page[AttemptOut])
async def notification_history(
    _: Reader,
    session: SessionDep,
    page: PageParams,
    group_id: int | None = None,
    user_id: int | None = None,
    channel: str | None = None,
    ok: bool | None = None,
) -> Page[AttemptOut]:
    """Every delivery attempt, newest first: channel, address, result, latency."""
    stmt = select(NotificationAttempt)
    if channel is not None:
        stmt = stmt.where(NotificationAttempt.channel == channel)
    if ok is not None:
        stmt = stmt.where(NotificationAttempt.ok.is_(ok))
    if group_id is not None or user_id is not None:
        sub = select(OutboxMessage.id)
        if group_id is not None:
            sub = sub.where(OutboxMessage.group_id == group_id)
        if user_id is not None:
            sub = sub.where(OutboxMessage.user_id == user_id)
        stmt = stmt.where(NotificationAttempt.outbox_id.in_(sub))
    rows, cursor = await paginate(session, stmt, page, [NotificationAttempt.id])
    messages = {
        m.id: m
        for m in await session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_({r.outbox_id for r in rows}))
        )
    }
    items = []
    for r in rows:
        m = messages[r.outbox_id]
        items.append(
            AttemptOut(
                id=r.id,
                at=r.at,
                outbox_id=r.outbox_id,
                idempotency_key=m.idempotency_key,
                group_id=m.group_id,
                user_id=m.user_id,
                step_index=m.step_index,
                channel=r.channel,
                address=m.address,
                ok=r.ok,
                status_code=r.status_code,
                error=r.error,
                latency_ms=r.latency_ms,
                message_status=m.status,
            )
        )
    return Page(items=items, next_cursor=cursor)


def _claim(settings: SettingsDep, token: str) -> links.LinkClaim:
    try:
        return links.verify(settings.jwt_secret(), token, now())
    except links.BadLink as exc:
        raise Forbidden(f"This link cannot be used: {exc}.") from exc


@router.get("/api/notify/actions/{token}", response_class=Response, include_in_schema=False)
async def confirm_action(token: str, settings: SettingsDep) -> Response:
    """A confirmation page: link scanners and chat unfurlers GET links, so acting on GET
    would acknowledge pages nobody read. The button POSTs back to the same URL."""
    claim = _claim(settings, token)
    verb = "Acknowledge" if claim.action == "acknowledge" else "Resolve"
    page = (
        f"<!doctype html><title>{verb} alert group {claim.group_id}</title>"
        f"<form method='post'><button type='submit'>{verb} alert group {claim.group_id}"
        f"</button></form><p>Link valid until {html.escape(claim.expires_at.isoformat())}.</p>"
    )
    return Response(page, media_type="text/html")


@router.post("/api/notify/actions/{token}", response_model=ActionResult)
async def perform_action(token: str, settings: SettingsDep, session: SessionDep) -> ActionResult:
    """Acknowledge or resolve the alert group named by a signed, unexpired link."""
    claim = _claim(settings, token)
    who = f"link:user:{claim.user_id}" if claim.user_id else "signed link"
    changed = await act_on_group(session, claim.group_id, claim.action, who, now())
    return ActionResult(group_id=claim.group_id, action=claim.action, alerts_changed=changed)


def _twiml(text: str) -> Response:
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Response><Message>{escape(text)}</Message></Response>"
    )
    return Response(body, media_type="application/xml")


@router.post("/api/notify/twilio/inbound", response_class=Response)
async def twilio_inbound(request: Request, session: SessionDep) -> Response:
    """Twilio's inbound SMS webhook (form-encoded From/Body): '<code> ack' or '<code> res'.
    Requests are checked against X-Twilio-Signature when an auth token is configured, and
    the sender must be a number this group paged."""
    notify = NotifySettings()
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    if notify.twilio_auth_token is not None:
        url = notify.public_url.rstrip("/") + request.url.path
        expected = links.twilio_signature(notify.twilio_auth_token.get_secret_value(), url, form)
        if request.headers.get("X-Twilio-Signature", "") != expected:
            raise Forbidden("The X-Twilio-Signature header does not match.")
    sender = form.get("From", "")
    parsed = parse_reply(form.get("Body", ""))
    if parsed is None:
        return _twiml("Reply '<code> ack' to acknowledge or '<code> res' to resolve.")
    group_id, action = parsed
    paged = await session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.group_id == group_id,
            OutboxMessage.channel == "sms",
            OutboxMessage.address == sender,
        )
        .limit(1)
    )
    if paged is None:
        return _twiml(f"This number was not paged for {group_id}.")
    changed = await act_on_group(session, group_id, action, f"sms:{sender}", now())
    done = "acknowledged" if action == "acknowledge" else "resolved"
    return _twiml(f"Alert group {group_id} {done} ({changed} alert(s)).")
