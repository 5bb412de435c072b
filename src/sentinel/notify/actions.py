"""Acknowledge or resolve an alert group from a notification (signed link, SMS reply)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import lifecycle
from sentinel.alerting.models import Alert, AlertGroup, AlertGroupMember
from sentinel.alerting.severity import OPEN_STATUSES
from sentinel.api.errors import NotFound
from sentinel.oncall import engine

_REPLY = re.compile(r"^\s*(\d{1,18})\s+(ack|acknowledge|res|resolve)\b", re.IGNORECASE)


def parse_reply(body: str) -> tuple[int, str] | None:
    """'123 ack' / '123 res' → (group id, action), or None."""
    match = _REPLY.match(body or "")
    if not match:
        return None
    action = "acknowledge" if match.group(2).lower().startswith("ack") else "resolve"
    return int(match.group(1)), action


async def act_on_group(
    session: AsyncSession, group_id: int, action: str, who: str, now: datetime
) -> int:
    """Acknowledge or resolve every open alert of the group and stop its escalation at
    once (not waiting for the event consumer). Returns how many alerts changed."""
    if await session.get(AlertGroup, group_id) is None:
        raise NotFound(f"No alert group with id {group_id}.")
    alerts = list(
        await session.scalars(
            select(Alert.id)
            .join(AlertGroupMember, AlertGroupMember.alert_id == Alert.id)
            .where(
                AlertGroupMember.group_id == group_id,
                Alert.status.in_([s.value for s in OPEN_STATUSES]),
            )
        )
    )
    changed = 0
    for alert_id in alerts:
        if action == "acknowledge":
            alert = await lifecycle.get_alert(session, alert_id)
            if alert.acknowledged_at is not None:
                continue
            await lifecycle.acknowledge(session, alert_id, who, now)
        else:
            await lifecycle.resolve(session, alert_id, who, now)
        changed += 1
    await session.flush()
    await engine.stop_if_done(session, group_id, now, who)
    return changed
