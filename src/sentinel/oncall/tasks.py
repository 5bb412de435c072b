"""The on-call worker tick: alert events → escalations → due steps → outbox → channels."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sentinel.notify import outbox
from sentinel.notify.config import NotifySettings
from sentinel.oncall import consumer, engine
from sentinel.storage.engine import Database
from sentinel.worker.registry import JobContext, JobRegistry

MAX_ROUNDS = 20


def now() -> datetime:
    return datetime.now(UTC)


async def escalate_and_deliver(
    db: Database,
    settings: NotifySettings,
    secret: str,
    clock: Callable[[], datetime] = now,
    patience: float | None = None,
) -> int:
    """Read new alert events, run every due escalation step, send every due message.
    Each stage commits on its own, so sends happen only for committed outbox rows.
    With `patience`, a delivery round waits that long for its sends and leaves slower
    ones to finish in the background (outbox.deliver_due); without, it waits for all.
    Returns steps run plus messages sent (0 = idle)."""
    work = 0
    async with db.transaction() as session:
        await consumer.consume_events(session, clock(), settings=settings, secret=secret)
    for _ in range(MAX_ROUNDS):  # zero-wait steps chain on within one tick
        async with db.transaction() as session:
            ran = await engine.run_due_steps(session, clock(), settings, secret)
        work += ran
        if ran == 0:
            break
    for _ in range(MAX_ROUNDS):
        sent = await outbox.deliver_due(db, settings, secret, clock, patience)
        work += sent
        if sent == 0:
            break
    return work


async def oncall_tick(ctx: JobContext, _payload: dict[str, Any]) -> None:
    settings = NotifySettings()
    await escalate_and_deliver(
        ctx.db, settings, ctx.settings.jwt_secret(), patience=settings.send_wait_seconds
    )


def register(registry: JobRegistry) -> None:
    tick = timedelta(seconds=NotifySettings().tick_seconds)
    # A poller (no job row per tick): its stages lock what they take, and idle it only reads.
    registry.poll("oncall.tick", tick, oncall_tick)
