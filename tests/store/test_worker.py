"""The job table and the worker loop, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from sentinel.auth import audit
from sentinel.auth.models import AuditEvent
from sentinel.config import Settings
from sentinel.storage.engine import Database
from sentinel.worker import store
from sentinel.worker.loop import WorkerLoop, enqueue
from sentinel.worker.models import Job
from sentinel.worker.registry import JobContext, JobRegistry
from tests.conftest import make_settings


async def record_effect(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A job whose effect is a row: an audit entry naming the job's payload."""
    from sentinel.auth import audit

    audit.record(ctx.session, None, "test.effect", "job", payload["n"])


async def always_fails(_ctx: JobContext, _payload: dict[str, Any]) -> None:
    raise RuntimeError("downstream said no")


def registry_with_effect() -> JobRegistry:
    registry = JobRegistry()
    registry.register("test.effect", record_effect)
    registry.register("test.fails", always_fails)
    return registry


async def effect_counts(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(AuditEvent.target_id, func.count())
            .where(AuditEvent.action == "test.effect")
            .group_by(AuditEvent.target_id)
        )
        return {target: int(count) for target, count in rows}


async def job_row(db: Database, job_id: int) -> Job:
    async with db.transaction() as session:
        job = await session.get(Job, job_id)
        assert job is not None
        return job


def _settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    return make_settings(database_url, tmp_path, **overrides)


async def test_a_job_runs_once_and_is_marked_done(database_url: str, tmp_path: Path) -> None:
    db = Database(database_url)
    try:
        job_id = await enqueue(db, "test.effect", {"n": 1})
        assert job_id is not None
        loop = WorkerLoop(db, registry_with_effect(), _settings(database_url, tmp_path))
        assert await loop.run_once() == 1
        assert await loop.run_once() == 0
        assert await effect_counts(db) == {"1": 1}
        job = await job_row(db, job_id)
        assert job.status == "done" and job.attempts == 1 and job.finished_at is not None
    finally:
        await db.dispose()


async def test_dedup_key_enqueues_at_most_once(database_url: str) -> None:
    db = Database(database_url)
    try:
        first = await enqueue(db, "test.effect", {"n": 1}, dedup_key="escalation:7:step:1")
        second = await enqueue(db, "test.effect", {"n": 1}, dedup_key="escalation:7:step:1")
        assert first is not None and second is None
    finally:
        await db.dispose()


async def test_future_jobs_wait_for_their_time(database_url: str, tmp_path: Path) -> None:
    db = Database(database_url)
    try:
        await enqueue(db, "test.effect", {"n": 1}, delay=timedelta(hours=1))
        loop = WorkerLoop(db, registry_with_effect(), _settings(database_url, tmp_path))
        assert await loop.run_once() == 0
        assert await effect_counts(db) == {}
    finally:
        await db.dispose()


async def test_failures_back_off_then_fail_for_good(database_url: str, tmp_path: Path) -> None:
    db = Database(database_url)
    try:
        job_id = await enqueue(db, "test.fails", {}, max_attempts=2)
        assert job_id is not None
        loop = WorkerLoop(db, registry_with_effect(), _settings(database_url, tmp_path))
        before = datetime.now(UTC)
        await loop.run_once()
        job = await job_row(db, job_id)
        assert job.status == "pending" and job.attempts == 1
        assert "downstream said no" in (job.last_error or "")
        # Backoff: the retry is scheduled 2.5-5 s later (base 5 s, jitter 0.5-1).
        assert before + timedelta(seconds=2) < job.run_at < before + timedelta(seconds=6)
        async with db.transaction() as session:
            stored = await session.get(Job, job_id)
            assert stored is not None
            stored.run_at = datetime.now(UTC) - timedelta(seconds=1)
        await loop.run_once()
        job = await job_row(db, job_id)
        assert job.status == "failed" and job.attempts == 2 and job.finished_at is not None
    finally:
        await db.dispose()


async def test_unknown_kind_fails_with_a_clear_error(database_url: str, tmp_path: Path) -> None:
    db = Database(database_url)
    try:
        job_id = await enqueue(db, "no.such.kind", {})
        assert job_id is not None
        await WorkerLoop(db, registry_with_effect(), _settings(database_url, tmp_path)).run_once()
        job = await job_row(db, job_id)
        assert job.status == "failed"
        assert "no handler registered" in (job.last_error or "")
    finally:
        await db.dispose()


async def test_expired_lease_is_taken_over_and_the_late_worker_cannot_complete(
    database_url: str, tmp_path: Path
) -> None:
    """A worker that died (or stalled) past its lease: another takes the job, the effect
    happens once, and the stale worker's completion is refused."""
    db = Database(database_url)
    try:
        job_id = await enqueue(db, "test.effect", {"n": 9})
        now = datetime.now(UTC)
        async with db.transaction() as session:
            # Its lease ends in the past: as if the worker died long ago.
            claimed = await store.claim(
                session, "crashed-worker", now, now - timedelta(seconds=1), 10
            )
        assert [j.id for j in claimed] == [job_id]
        loop = WorkerLoop(db, registry_with_effect(), _settings(database_url, tmp_path))
        assert await loop.run_once() == 1
        async with db.transaction() as session:
            assert not await store.complete(session, job_id, "crashed-worker", 1, datetime.now(UTC))
        assert await effect_counts(db) == {"9": 1}
        assert (await job_row(db, job_id)).attempts == 2
    finally:
        await db.dispose()


async def test_periodic_task_runs_once_per_slot_across_replicas(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        runs: list[int] = []

        async def tick(_ctx: JobContext, payload: dict[str, Any]) -> None:
            runs.append(payload["slot"])

        loops = []
        for _ in range(3):
            registry = JobRegistry()
            registry.every("test.tick", timedelta(hours=1), tick)
            loops.append(WorkerLoop(db, registry, _settings(database_url, tmp_path)))
        for loop in loops:
            await loop.run_once()
        for loop in loops:
            await loop.run_once()
        assert len(runs) == 1
    finally:
        await db.dispose()


async def test_heartbeat_is_visible_in_health(database_url: str, tmp_path: Path) -> None:
    db = Database(database_url)
    try:
        await WorkerLoop(db, JobRegistry(), _settings(database_url, tmp_path)).run_once()
        async with db.transaction() as session:
            seen = await store.latest_heartbeat(session)
        assert seen is not None
        assert datetime.now(UTC) - seen < timedelta(seconds=10)
    finally:
        await db.dispose()


async def job_states(db: Database) -> list[tuple[int, str, int]]:
    async with db.transaction() as session:
        rows = await session.execute(select(Job.id, Job.status, Job.attempts).order_by(Job.id))
        return [(i, s, a) for i, s, a in rows]


async def test_an_idle_cycle_writes_nothing(database_url: str, tmp_path: Path) -> None:
    """Once the current slot is enqueued and run, further cycles find nothing due and only
    read: no job row changes, and on SQLite no transaction queues for the single writer."""
    db = Database(database_url)
    try:
        ticks: list[int] = []

        async def tick(_ctx: JobContext, payload: dict[str, Any]) -> None:
            ticks.append(payload["slot"])

        registry = JobRegistry()
        registry.every("test.hourly", timedelta(hours=1), tick)
        loop = WorkerLoop(db, registry, _settings(database_url, tmp_path))
        assert await loop.run_once() == 1
        before, turns = await job_states(db), db.write_gate.stats.turns
        for _ in range(3):
            assert await loop.run_once() == 0
        assert await job_states(db) == before
        assert db.write_gate.stats.turns == turns  # stays 0 on PostgreSQL (no gate)
        assert len(ticks) == 1
    finally:
        await db.dispose()


async def test_pollers_run_each_interval_without_job_rows(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        polls: list[int] = []

        async def poll(ctx: JobContext, payload: dict[str, Any]) -> None:
            polls.append(ctx.job_id)
            audit.record(ctx.session, None, "test.poll", "poller", len(polls))

        async def broken(_ctx: JobContext, _payload: dict[str, Any]) -> None:
            raise RuntimeError("the poller broke")

        registry = JobRegistry()
        registry.poll("test.broken", timedelta(0), broken)  # logged; the loop goes on
        registry.poll("test.every-cycle", timedelta(0), poll)
        registry.poll("test.hourly", timedelta(hours=1), poll)
        loop = WorkerLoop(db, registry, _settings(database_url, tmp_path))
        for _ in range(3):
            assert await loop.run_once() == 0  # pollers are not jobs
        assert len(polls) == 4  # every cycle, plus the hourly one once
        assert await job_states(db) == []
        async with db.transaction() as session:
            polled = await session.scalar(
                select(func.count()).where(AuditEvent.action == "test.poll")
            )
        assert polled == 4  # each poll's session committed
    finally:
        await db.dispose()
