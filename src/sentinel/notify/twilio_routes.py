"""Twilio's inbound webhooks: SMS replies ('<code> ack') and a page call's keypad answer
(1 acknowledge, 2 resolve). Both are checked against X-Twilio-Signature when an auth token
is configured, and the number must be one this group paged on that channel."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from sentinel.api.deps import SessionDep, SettingsDep
from sentinel.api.errors import Forbidden
from sentinel.notify import links, twiml
from sentinel.notify.actions import act_on_group, parse_reply
from sentinel.notify.channels import KEYPAD_PATH
from sentinel.notify.config import NotifySettings
from sentinel.notify.models import OutboxMessage

router = APIRouter(tags=["notifications"])
XML = "application/xml"


def now() -> datetime:
    return datetime.now(UTC)


async def signed_form(request: Request, notify: NotifySettings) -> dict[str, str]:
    """The form body, after checking Twilio's signature over the URL Twilio requested
    (PUBLIC_URL + path + query) and every parameter; 403 if it does not match."""
    pairs = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    if notify.twilio_auth_token is not None:
        url = notify.public_url.rstrip("/") + request.url.path
        if request.url.query:
            url += "?" + request.url.query
        signature = request.headers.get("X-Twilio-Signature", "")
        token = notify.twilio_auth_token.get_secret_value()
        if not links.twilio_request_valid(token, url, pairs, signature):
            raise Forbidden("The X-Twilio-Signature header does not match.")
    return dict(pairs)


async def was_paged(session: SessionDep, group_id: int, channel: str, number: str) -> bool:
    found = await session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.group_id == group_id,
            OutboxMessage.channel == channel,
            OutboxMessage.address == number,
        )
        .limit(1)
    )
    return found is not None


@router.post("/api/notify/twilio/inbound", response_class=Response)
async def twilio_inbound(request: Request, session: SessionDep) -> Response:
    """Twilio's inbound SMS webhook (form-encoded From/Body): '<code> ack' or '<code> res'.
    The sender must be a number this group paged by SMS."""
    form = await signed_form(request, NotifySettings())
    sender = form.get("From", "")
    parsed = parse_reply(form.get("Body", ""))
    if parsed is None:
        text = "Reply '<code> ack' to acknowledge or '<code> res' to resolve."
        return Response(twiml.message(text), media_type=XML)
    group_id, action = parsed
    if not await was_paged(session, group_id, "sms", sender):
        return Response(twiml.message(f"This number was not paged for {group_id}."), media_type=XML)
    changed = await act_on_group(session, group_id, action, f"sms:{sender}", now())
    done = "acknowledged" if action == "acknowledge" else "resolved"
    text = f"Alert group {group_id} {done} ({changed} alert(s))."
    return Response(twiml.message(text), media_type=XML)


@router.post(KEYPAD_PATH + "{token}", response_class=Response)
async def twilio_keypad(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """A page call's <Gather> answer (form-encoded Digits, CallSid, To, ...): 1 acknowledges
    the alert group, 2 resolves it, anything else asks again. The URL carries a signed token
    naming the group; the called number (To) must be one the group paged by voice."""
    form = await signed_form(request, NotifySettings())
    try:
        claim = links.verify(settings.jwt_secret(), token, now(), allowed=(links.RESPOND,))
    except links.BadLink as exc:
        raise Forbidden(f"This keypad link cannot be used: {exc}.") from exc
    group_id, callee = claim.group_id, form.get("To") or form.get("Called", "")
    if not await was_paged(session, group_id, "voice", callee):
        text = f"This number was not paged for alert group {group_id}. Goodbye."
        return Response(twiml.say(text), media_type=XML)
    action = twiml.KEYS.get(form.get("Digits", "").strip())
    if action is None:
        url = NotifySettings().public_url.rstrip("/") + request.url.path
        return Response(twiml.ask_again(url), media_type=XML)
    changed = await act_on_group(session, group_id, action, f"voice:{callee}", now())
    done = "acknowledged" if action == "acknowledge" else "resolved"
    if changed:
        text = f"Alert group {group_id} {done}. Escalation stopped. Goodbye."
    else:
        text = f"Alert group {group_id} was already {done} or has nothing open. Goodbye."
    return Response(twiml.say(text), media_type=XML)
