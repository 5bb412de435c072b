"""Messages outside the escalation chain: a route's channels hear about each notification
of a group, and when a group resolves everybody who heard about it (each address a page or
channel message reached) gets one "resolved" notice, keyed by the group's opening so it
is sent exactly once per fire → resolve cycle."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting.models import AlertEvent, AlertGroup
from sentinel.notify import outbox
from sentinel.notify.config import NotifySettings
from sentinel.notify.message import RESOLVED, Page
from sentinel.notify.models import OutboxMessage
from sentinel.oncall.contacts import check_address
from sentinel.oncall.engine import group_state
from sentinel.oncall.pages import build_page

log = logging.getLogger("sentinel.oncall")
RESOLVED_PREFIX = "resolved:"


def _row(
    key: str, group_id: int, kind: str, address: str, page: Page, now: datetime, attempts: int
) -> dict[str, Any]:
    return {
        "idempotency_key": key[:200],
        "group_id": group_id,
        "channel": kind,
        "address": address,
        "payload": page.to_json(),
        "status": "pending",
        "attempts": 0,
        "max_attempts": attempts,
        "cancel_on_ack": False,
        "next_attempt_at": now,
        "due_at": now,
        "created_at": now,
    }


async def notify_channels(
    session: AsyncSession, event: AlertEvent, now: datetime, settings: NotifySettings, secret: str
) -> int:
    """Queue the group's message to each `kind:address` channel of its route, keyed by the
    notify event so each channel hears about each notification exactly once."""
    if event.group_id is None or event.detail.get("group_status", "open") != "open":
        return 0
    rows = []
    page: Page | None = None
    for channel in event.detail.get("channels") or []:
        kind, _, address = str(channel).partition(":")
        if check_address(kind, address) is not None:
            log.warning("route channel skipped", extra={"channel": channel})
            continue
        page = page or await build_page(session, event.group_id, now, settings, secret)
        key = f"channel:{event.group_id}:{event.id}:{channel}"
        rows.append(_row(key, event.group_id, kind, address, page, now, settings.max_attempts))
    return await outbox.enqueue(session, rows)


def resolved_channel(channel: str) -> str:
    """Nobody is called to hear that an incident is over: a voice number gets an SMS."""
    return "sms" if channel == "voice" else channel


async def notify_resolved(
    session: AsyncSession,
    group_id: int,
    now: datetime,
    settings: NotifySettings,
    secret: str,
    who: str,
) -> int:
    """If the group has no open alert left, queue one resolved notice per address that a
    page or channel message of this fire → resolve cycle reached (sent or in flight);
    returns how many were new. Also when the group resolved while silenced or inhibited:
    whoever was paged before the mute still hears that it is over."""
    group = await session.get(AlertGroup, group_id)
    open_count, _ = await group_state(session, group_id)
    if group is None or open_count:
        return 0
    cycle = int(group.created_at.timestamp() * 1000)  # a group that fires again starts anew
    reached = await session.execute(
        select(OutboxMessage.channel, OutboxMessage.address, OutboxMessage.user_id)
        .where(
            OutboxMessage.group_id == group_id,
            OutboxMessage.status.in_(["sent", "sending"]),
            OutboxMessage.created_at >= group.created_at,
            ~OutboxMessage.idempotency_key.startswith(RESOLVED_PREFIX),
        )
        .order_by(OutboxMessage.id)
    )
    targets: dict[tuple[str, str], int | None] = {}
    for channel, address, user_id in reached.all():
        targets.setdefault((resolved_channel(channel), address), user_id)
    if not targets:
        return 0
    page = await build_page(session, group_id, now, settings, secret)
    notice = replace(
        page, event=RESOLVED, summary=f"Resolved by {who} at {now:%Y-%m-%d %H:%M} UTC."
    )
    rows = []
    for (channel, address), user_id in targets.items():
        digest = hashlib.sha256(address.encode()).hexdigest()[:16]
        key = f"{RESOLVED_PREFIX}{group_id}:{cycle}:{channel}:{digest}"
        row = _row(key, group_id, channel, address, notice, now, settings.max_attempts)
        rows.append({**row, "user_id": user_id})
    return await outbox.enqueue(session, rows)
