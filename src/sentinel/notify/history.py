"""Delivery attempts as other domains read them (the incident timeline reads them here,
never from the notify tables): who was paged, on which channel, delivered or failed,
and how long the attempt took."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.notify.models import NotificationAttempt, OutboxMessage


@dataclass(frozen=True)
class DeliveryAttempt:
    id: int  # ids grow in insert order (on PostgreSQL not always in commit order)
    at: datetime
    group_id: int | None
    user_id: int | None
    step_index: int | None
    channel: str
    address: str
    ok: bool
    status_code: int | None
    error: str | None
    latency_ms: float
    attempt: int  # 1 for the first try of this message
    max_attempts: int
    message_status: str  # the message now: pending (a retry is due), sent, failed, …


def _select() -> Any:
    return select(
        NotificationAttempt.id,
        NotificationAttempt.at,
        OutboxMessage.group_id,
        OutboxMessage.user_id,
        OutboxMessage.step_index,
        NotificationAttempt.channel,
        OutboxMessage.address,
        NotificationAttempt.ok,
        NotificationAttempt.status_code,
        NotificationAttempt.error,
        NotificationAttempt.latency_ms,
        NotificationAttempt.outbox_id,
        OutboxMessage.max_attempts,
        OutboxMessage.status,
    ).join(OutboxMessage, OutboxMessage.id == NotificationAttempt.outbox_id)


async def _attempts(session: AsyncSession, stmt: Any) -> list[DeliveryAttempt]:
    rows = (await session.execute(stmt.order_by(NotificationAttempt.id))).all()
    # The try number: earlier attempts of the same message.
    outbox_ids = {r.outbox_id for r in rows}
    earlier: dict[int, list[int]] = {}
    if outbox_ids:
        ids = select(NotificationAttempt.outbox_id, NotificationAttempt.id).where(
            NotificationAttempt.outbox_id.in_(outbox_ids)
        )
        for outbox_id, attempt_id in (await session.execute(ids)).all():
            earlier.setdefault(outbox_id, []).append(attempt_id)
    return [
        DeliveryAttempt(
            id=r.id,
            at=r.at,
            group_id=r.group_id,
            user_id=r.user_id,
            step_index=r.step_index,
            channel=r.channel,
            address=r.address,
            ok=r.ok,
            status_code=r.status_code,
            error=r.error,
            latency_ms=r.latency_ms,
            attempt=sum(1 for i in earlier.get(r.outbox_id, []) if i <= r.id),
            max_attempts=r.max_attempts,
            message_status=r.status,
        )
        for r in rows
    ]


async def attempts_after(session: AsyncSession, after_id: int, limit: int) -> list[DeliveryAttempt]:
    """Delivery attempts with an id above `after_id`, oldest first: a log to follow."""
    stmt = _select().where(NotificationAttempt.id > after_id).limit(limit)
    return await _attempts(session, stmt)


async def attempts_for_groups(
    session: AsyncSession, group_ids: Collection[int], limit: int = 1000
) -> list[DeliveryAttempt]:
    """The delivery attempts of these alert groups' notifications so far, oldest first."""
    if not group_ids:
        return []
    stmt = _select().where(OutboxMessage.group_id.in_(list(group_ids))).limit(limit)
    return await _attempts(session, stmt)
