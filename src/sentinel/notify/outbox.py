"""The outbox: pages queued exactly once (unique idempotency key), claimed by one worker
at a time (FOR UPDATE SKIP LOCKED plus a lease), sent outside the transaction, and every
attempt recorded. Retries back off exponentially; per-address rate limits defer."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy import Table, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.notify.channels import Delivery, Senders, Target
from sentinel.notify.config import NotifySettings
from sentinel.notify.message import Page
from sentinel.notify.models import NotificationAttempt, OutboxMessage
from sentinel.oncall.models import Escalation
from sentinel.storage.dialect import dialect_name, upsert_insert
from sentinel.storage.engine import Database

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
OUTBOX = cast(Table, OutboxMessage.__table__)


async def enqueue(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Queue messages; a row whose idempotency key exists is skipped. Returns new rows.

    Executed as executemany with RETURNING: SQLAlchemy batches it into multi-row INSERTs
    from one cached statement (a `.values(rows)` INSERT is compiled anew per row count,
    which cost more than the database did for a few hundred rows)."""
    if not rows:
        return 0
    stmt = upsert_insert(session, OutboxMessage).on_conflict_do_nothing(
        index_elements=["idempotency_key"]
    )
    result = await session.execute(stmt.returning(OutboxMessage.id), rows)
    return len(result.all())


async def cancel_for_group(session: AsyncSession, group_id: int, *, only_delayed: bool) -> None:
    """Drop pages not yet sent for a group (acknowledged: delayed rules; resolved: all but
    the resolved notices themselves)."""
    stmt = update(OutboxMessage).where(
        OutboxMessage.group_id == group_id,
        OutboxMessage.status == "pending",
        ~OutboxMessage.idempotency_key.startswith("resolved:"),
    )
    if only_delayed:
        stmt = stmt.where(OutboxMessage.cancel_on_ack.is_(True))
    await session.execute(stmt.values(status="cancelled"))


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    target: Target
    page: Page
    attempt: int
    max_attempts: int


async def claim(session: AsyncSession, now: datetime, settings: NotifySettings) -> list[Claimed]:
    """Lease due messages to this worker. Delayed rules whose escalation has stopped are
    cancelled instead; addresses over their rate limit wait a minute. Leases run on the
    wall clock (not `now`, which tests and benchmarks move): a lease is about how long a
    send may really take before another worker may presume it lost."""
    wall = datetime.now(UTC)
    stmt = (
        select(OutboxMessage)
        .where(
            or_(
                (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
                (OutboxMessage.status == "sending") & (OutboxMessage.lease_until < wall),
            )
        )
        .order_by(OutboxMessage.next_attempt_at)
        .limit(settings.batch_size)
    )
    if dialect_name(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list((await session.scalars(stmt)).all())
    stopped = await _stopped_escalations(session, rows)
    sent_recently = await _recent_counts(session, rows, now)
    claimed: list[Claimed] = []
    for row in rows:
        if (row.cancel_on_ack or row.attempts > 0) and row.escalation_id in stopped:
            row.status = "cancelled"
            continue
        if sent_recently.get(row.address, 0) >= settings.rate_limit_per_minute:
            row.status, row.next_attempt_at = "pending", now + timedelta(seconds=60)
            continue
        sent_recently[row.address] = sent_recently.get(row.address, 0) + 1
        row.status, row.lease_until, row.attempts = "sending", wall + LEASE, row.attempts + 1
        claimed.append(
            Claimed(
                row.id,
                row.idempotency_key,
                Target(row.channel, row.address),
                Page.from_json(row.payload),
                row.attempts,
                row.max_attempts,
            )
        )
    return claimed


async def _stopped_escalations(session: AsyncSession, rows: list[OutboxMessage]) -> set[int]:
    ids = {r.escalation_id for r in rows if r.escalation_id is not None}
    if not ids:
        return set()
    stmt = select(Escalation.id).where(
        Escalation.id.in_(ids), Escalation.status.in_(["acknowledged", "resolved"])
    )
    return set(await session.scalars(stmt))


async def _recent_counts(
    session: AsyncSession, rows: list[OutboxMessage], now: datetime
) -> dict[str, int]:
    addresses = {r.address for r in rows}
    if not addresses:
        return {}
    stmt = (
        select(OutboxMessage.address, func.count())
        .where(
            OutboxMessage.address.in_(addresses),
            or_(
                OutboxMessage.sent_at >= now - timedelta(seconds=60),
                OutboxMessage.status == "sending",
            ),
        )
        .group_by(OutboxMessage.address)
    )
    return {address: int(count) for address, count in (await session.execute(stmt)).all()}


def retry_delay(settings: NotifySettings, attempt: int) -> timedelta:
    return timedelta(seconds=min(settings.retry_base_seconds * 2 ** (attempt - 1), 600))


async def record(
    session: AsyncSession,
    outcomes: list[tuple[Claimed, Delivery]],
    now: datetime,
    settings: NotifySettings,
) -> None:
    """Write each attempt to the history and settle its message (sent, retry later, or
    failed) in two statements; a message whose lease another worker took is left alone."""
    if not outcomes:
        return
    await session.execute(
        insert(NotificationAttempt),
        [
            {
                "outbox_id": item.id,
                "at": now,
                "channel": item.target.channel,
                "ok": result.ok,
                "status_code": result.status_code,
                "error": result.error,
                "latency_ms": round(result.latency_ms, 3),
            }
            for item, result in outcomes
        ],
    )
    settled = []
    for item, result in outcomes:
        status, sent_at, next_at = "failed", None, now
        if result.ok:
            status, sent_at = "sent", now
        elif result.retryable and item.attempt < item.max_attempts:
            status, next_at = "pending", now + retry_delay(settings, item.attempt)
        settled.append(
            {
                "b_id": item.id,
                "b_attempt": item.attempt,
                "b_status": status,
                "b_sent_at": sent_at,
                "b_next": next_at,
                "b_error": result.error,
            }
        )
    await session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == bindparam("b_id"), OUTBOX.c.attempts == bindparam("b_attempt"))
        .values(
            status=bindparam("b_status"),
            sent_at=bindparam("b_sent_at"),
            next_attempt_at=bindparam("b_next"),
            last_error=bindparam("b_error"),
            lease_until=None,
        ),
        settled,
    )


# Sends still running after a round's patience; each records its own outcome when done.
STRAGGLERS: set[asyncio.Task[None]] = set()


async def deliver_due(
    db: Database,
    settings: NotifySettings,
    secret: str,
    now_fn: Any,
    patience: float | None = None,
) -> int:
    """One delivery round: claim, send all concurrently, record. Returns messages sent.

    With `patience` (seconds) the round records what has finished by then and returns;
    sends still waiting on a slow or hanging receiver (up to the HTTP/SMTP timeout) finish
    in the background and record themselves, so one stuck channel does not hold up the
    pages queued after it. They keep their lease meanwhile, so nobody else sends them.
    Without `patience` the round waits for every send."""
    async with db.transaction() as session:
        claimed = await claim(session, now_fn(), settings)
    if not claimed:
        return 0
    client = httpx.AsyncClient(timeout=settings.http_timeout_seconds)
    senders = Senders(settings, secret, client)
    sends = {
        asyncio.create_task(senders.send(item.target, item.page, item.key)): item
        for item in claimed
    }
    try:
        done, waiting = await asyncio.wait(sends, timeout=patience)
    except BaseException:
        await _abandon(sends, client)
        raise
    if waiting:
        later = asyncio.create_task(
            _record_later(db, settings, now_fn, client, {task: sends[task] for task in waiting})
        )
        STRAGGLERS.add(later)
        later.add_done_callback(STRAGGLERS.discard)
    else:
        await client.aclose()
    outcomes = [(sends[task], task.result()) for task in done]
    async with db.transaction() as session:
        await record(session, outcomes, now_fn(), settings)
    return sum(1 for _, result in outcomes if result.ok)


async def _record_later(
    db: Database,
    settings: NotifySettings,
    now_fn: Any,
    client: httpx.AsyncClient,
    sends: dict[asyncio.Task[Delivery], Claimed],
) -> None:
    try:
        await asyncio.wait(sends)
    except BaseException:  # shutting down: the lease runs out and another round resends
        await _abandon(sends, client)
        raise
    await client.aclose()
    outcomes = [(item, task.result()) for task, item in sends.items()]
    try:
        async with db.transaction() as session:
            await record(session, outcomes, now_fn(), settings)
    except Exception:  # unrecorded: the lease runs out and another round resends
        log.exception("recording %d late notification attempts failed", len(outcomes))


async def _abandon(sends: dict[asyncio.Task[Delivery], Claimed], client: httpx.AsyncClient) -> None:
    for task in sends:
        task.cancel()
    await asyncio.gather(*sends, return_exceptions=True)
    await client.aclose()


async def settle() -> None:
    """Wait until every send left running by a round with patience has been recorded."""
    while STRAGGLERS:
        await asyncio.gather(*STRAGGLERS, return_exceptions=True)
