"""Three worker processes on PostgreSQL run three thousand escalations at once (two steps
each, so 6,000 pages): every due page reaches the (loopback) receiver exactly once, none
twice, and the work is shared.

Runtime (2 cores, PostgreSQL on the same machine): about 15-25 s, most of it HTTP. Each
worker spends ~70% of its time in delivery rounds, and the loopback receiver (http.server,
a thread per connection) answers ~450-550 requests/s here, so 6,000 pages need 11 s or
more of its time alone; the engine's share (events → escalations → steps → outbox rows)
is 1-2 s per worker."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from sentinel.alerting.models import Alert, AlertEvent, AlertGroup, AlertGroupMember
from sentinel.auth.models import User
from sentinel.notify.config import NotifySettings
from sentinel.notify.models import NotificationAttempt, OutboxMessage
from sentinel.oncall.models import ContactMethod, Escalation, EscalationPolicy
from sentinel.oncall.tasks import escalate_and_deliver
from sentinel.storage.engine import Database
from tests.notify_receivers import HttpReceiver

GROUPS = 3000
SECRET = "concurrency-secret"


async def seed(db: Database, receiver_url: str) -> None:
    now = datetime.now(UTC)
    async with db.transaction() as session:
        users = []
        for name in ("first", "second"):
            user = User(email=f"{name}@example.com", name=name, password_hash="x", role="responder")
            session.add(user)
            await session.flush()
            session.add(
                ContactMethod(
                    user_id=user.id, kind="webhook", address=f"{receiver_url}/hook/{name}"
                )
            )
            users.append(user.id)
        policy = EscalationPolicy(
            name="p",
            steps=[
                {"kind": "notify_users", "targets": [users[0]], "wait_minutes": 0},
                {"kind": "wait", "targets": [], "wait_minutes": 1},
                {"kind": "notify_users", "targets": [users[1]], "wait_minutes": 0},
            ],
        )
        session.add(policy)
        await session.flush()
        groups = [
            {
                "group_key": f"g{n}",
                "receiver": "r",
                "escalation_policy_id": policy.id,
                "status": "open",
                "title": f"group {n}",
                "alert_count": 1,
                "group_wait_s": 0,
                "group_interval_s": 300,
                "repeat_interval_s": 3600,
                "created_at": now,
                "next_flush_at": now + timedelta(hours=1),
            }
            for n in range(GROUPS)
        ]
        await session.execute(insert(AlertGroup), groups)
        ids = list(await session.scalars(select(AlertGroup.id).order_by(AlertGroup.id)))
        placed = await session.execute(
            insert(Alert).returning(Alert.id, Alert.group_id),
            [
                {
                    "fingerprint": f"{n:016x}",
                    "labels": {},
                    "annotations": {},
                    "alert_name": "A",
                    "severity": "high",
                    "status": "firing",
                    "source": "api",
                    "starts_at": now,
                    "last_seen_at": now,
                    "group_id": gid,
                }
                for n, gid in enumerate(ids)
            ],
        )
        await session.execute(
            insert(AlertGroupMember),
            [
                {"alert_id": aid, "group_id": gid, "position": 0, "joined_at": now}
                for aid, gid in placed.all()
            ],
        )
        await session.execute(
            insert(AlertEvent),
            [
                {
                    "alert_id": None,
                    "group_id": gid,
                    "kind": "notify",
                    "at": now,
                    "actor": "system",
                    "detail": {"escalation_policy_id": policy.id, "group_status": "open"},
                }
                for gid in ids
            ],
        )


async def unfinished(db: Database) -> int:
    async with db.transaction() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_(["pending", "sending"]))
        )
    return int(count or 0)


async def work(database_url: str, receiver_url: str) -> None:
    """Run the on-call tick in four phases of simulated time (2 minutes apart) until each
    stays idle, and in the last until no message waits for a retry."""
    db = Database(database_url)
    settings = NotifySettings(rate_limit_per_minute=100_000, batch_size=100)
    base = datetime.now(UTC)
    try:
        for phase in range(4):
            idle = 0
            while idle < 3 or (phase == 3 and await unfinished(db)):

                def clock(p: int = phase) -> datetime:
                    return max(datetime.now(UTC), base) + timedelta(minutes=2 * p)

                done = await escalate_and_deliver(db, settings, SECRET, clock)
                idle = idle + 1 if done == 0 else 0
                if done == 0:
                    await asyncio.sleep(0.05)
    finally:
        await db.dispose()


def work_in_process(database_url: str, receiver_url: str) -> None:
    asyncio.run(work(database_url, receiver_url))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_three_processes_page_three_thousand_escalations_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    receiver = HttpReceiver().start()
    db = Database(database_url)
    try:
        await seed(db, receiver.url)
        context = multiprocessing.get_context("spawn")
        workers = [
            context.Process(target=work_in_process, args=(database_url, receiver.url))
            for _ in range(3)
        ]
        for process in workers:
            process.start()
        for process in workers:
            process.join(timeout=300)
            assert process.exitcode == 0
        keys = Counter(r.headers["Idempotency-Key"] for r in receiver.requests)
        assert len(receiver.on("/hook/first")) == GROUPS
        assert len(receiver.on("/hook/second")) == GROUPS
        assert len(keys) == 2 * GROUPS and max(keys.values()) == 1
        async with db.transaction() as session:
            statuses = dict(
                (
                    await session.execute(
                        select(Escalation.status, func.count()).group_by(Escalation.status)
                    )
                ).all()
            )
            sent = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "sent")
            )
            attempts = await session.scalar(select(func.count()).select_from(NotificationAttempt))
        assert statuses == {"exhausted": GROUPS}
        assert sent == attempts == 2 * GROUPS
        senders: Any = {r.headers.get("User-Agent") for r in receiver.requests}
        assert senders  # every request came from a worker process over real HTTP
    finally:
        receiver.stop()
        await db.dispose()
