"""Notification history, signed acknowledge/resolve links, and (included) the inbound
webhooks of Twilio and Slack."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy import select

from sentinel.api.deps import Reader, Responder, SessionDep, SettingsDep
from sentinel.api.errors import Forbidden
from sentinel.api.pagination import Page, PageParams, paginate
from sentinel.notify import links, settings_routes, slack_routes, twilio_routes
from sentinel.notify.actions import act_on_group
from sentinel.notify.models import NotificationAttempt, OutboxMessage
from sentinel.timeutil import UtcDatetime

router = APIRouter(tags=["notifications"])
router.include_router(twilio_routes.router)
router.include_router(slack_routes.router)
router.include_router(settings_routes.router)


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
    start: UtcDatetime | None = None,
    end: UtcDatetime | None = None,
) -> Page[AttemptOut]:
    """Every delivery attempt, newest first: channel, address, result, latency; `start`
    and `end` keep the attempts made in [start, end)."""
    stmt = select(NotificationAttempt)
    if start is not None:
        stmt = stmt.where(NotificationAttempt.at >= start)
    if end is not None:
        stmt = stmt.where(NotificationAttempt.at < end)
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


@router.post("/api/alerts/groups/{group_id}/acknowledge", response_model=ActionResult)
async def acknowledge_group(
    group_id: int, principal: Responder, session: SessionDep
) -> ActionResult:
    """Acknowledge every open alert of the group (the page) and stop its escalation, as
    the Acknowledge button of a page does."""
    changed = await act_on_group(session, group_id, "acknowledge", principal.name, now())
    return ActionResult(group_id=group_id, action="acknowledge", alerts_changed=changed)


@router.post("/api/alerts/groups/{group_id}/resolve", response_model=ActionResult)
async def resolve_group(group_id: int, principal: Responder, session: SessionDep) -> ActionResult:
    """Resolve every open alert of the group; whoever was paged hears it is over."""
    changed = await act_on_group(session, group_id, "resolve", principal.name, now())
    return ActionResult(group_id=group_id, action="resolve", alerts_changed=changed)
