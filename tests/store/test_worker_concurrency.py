"""Several workers over the same queue: every job's effect happens exactly once."""

from __future__ import annotations

import asyncio
import multiprocessing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sentinel.auth import audit
from sentinel.auth.models import AuditEvent
from sentinel.storage.engine import Database
from sentinel.worker import store
from sentinel.worker.loop import WorkerLoop
from sentinel.worker.models import Job
from sentinel.worker.registry import JobContext, JobRegistry
from tests.conftest import make_settings

JOBS = 1000


async def effect(ctx: JobContext, payload: dict[str, Any]) -> None:
    audit.record(ctx.session, None, "test.effect", "job", payload["n"], {"worker": ctx.worker_id})


def registry() -> JobRegistry:
    jobs = JobRegistry()
    jobs.register("test.effect", effect)
    return jobs


async def drain(database_url: str, data_dir: str, worker_id: str) -> int:
    """Run one worker until the queue has stayed empty for a few cycles."""
    db = Database(database_url)
    settings = make_settings(database_url, Path(data_dir), worker_batch_size=10)
    loop = WorkerLoop(db, registry(), settings, worker_id=worker_id)
    ran = idle = 0
    try:
        while idle < 5:
            count = await loop.run_once()
            ran += count
            idle = idle + 1 if count == 0 else 0
            if count == 0:
                await asyncio.sleep(0.05)
    finally:
        await db.dispose()
    return ran


def drain_in_process(database_url: str, data_dir: str, worker_id: str) -> None:
    asyncio.run(drain(database_url, data_dir, worker_id))


async def seed(db: Database) -> None:
    async with db.transaction() as session:
        now = datetime.now(UTC)
        for n in range(JOBS):
            await store.enqueue(session, "test.effect", {"n": n}, run_at=now)


async def outcome(db: Database) -> tuple[dict[str, int], set[str], dict[str, int]]:
    async with db.transaction() as session:
        per_job = dict(
            (t, int(c))
            for t, c in await session.execute(
                select(AuditEvent.target_id, func.count())
                .where(AuditEvent.action == "test.effect")
                .group_by(AuditEvent.target_id)
            )
        )
        details = (
            await session.scalars(
                select(AuditEvent.detail).where(AuditEvent.action == "test.effect")
            )
        ).all()
        statuses = dict(
            (s, int(c))
            for s, c in await session.execute(select(Job.status, func.count()).group_by(Job.status))
        )
    return per_job, {d["worker"] for d in details}, statuses


def assert_exactly_once(per_job: dict[str, int], statuses: dict[str, int]) -> None:
    assert len(per_job) == JOBS, f"{JOBS - len(per_job)} jobs never had their effect"
    twice = {k: v for k, v in per_job.items() if v != 1}
    assert twice == {}, f"effects repeated: {list(twice.items())[:5]}"
    assert statuses == {"done": JOBS}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_three_worker_processes_on_postgresql_run_each_job_once(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        await seed(db)
        context = multiprocessing.get_context("spawn")
        workers = [
            context.Process(target=drain_in_process, args=(database_url, str(tmp_path), f"w{i}"))
            for i in range(3)
        ]
        for process in workers:
            process.start()
        for process in workers:
            process.join(timeout=120)
            assert process.exitcode == 0
        per_job, worker_ids, statuses = await outcome(db)
        assert_exactly_once(per_job, statuses)
        assert len(worker_ids) >= 2, "the work was not shared between processes"
    finally:
        await db.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_concurrent_loops_on_sqlite_run_each_job_once(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        await seed(db)
        await asyncio.gather(*(drain(database_url, str(tmp_path), f"w{i}") for i in range(2)))
        per_job, _, statuses = await outcome(db)
        assert_exactly_once(per_job, statuses)
    finally:
        await db.dispose()
