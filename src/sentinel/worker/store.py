"""Queries of the job table. Claiming is one UPDATE … RETURNING over a SKIP LOCKED select,
so several replicas never take the same job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.storage.dialect import upsert_insert
from sentinel.worker.models import Job, WorkerHeartbeat


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime,
    dedup_key: str | None = None,
    max_attempts: int = 5,
) -> int | None:
    """Insert a job; with a dedup_key that exists already, nothing happens and None returns."""
    stmt = (
        upsert_insert(session, Job)
        .values(
            kind=kind,
            payload=payload,
            status="pending",
            run_at=run_at,
            dedup_key=dedup_key,
            attempts=0,
            max_attempts=max_attempts,
            created_at=run_at,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(Job.id)
    )
    return (await session.execute(stmt)).scalar()


async def claim(
    session: AsyncSession, worker_id: str, now: datetime, lease_until: datetime, limit: int
) -> list[ClaimedJob]:
    """Lease up to `limit` due jobs, including ones whose previous lease expired.

    Looks before it leases: when nothing is due the transaction stays a read (on SQLite
    an UPDATE that matches nothing still takes the single write lock)."""
    due = or_(
        and_(Job.status == "pending", Job.run_at <= now),
        and_(Job.status == "running", Job.lease_expires_at < now),
    )
    if await session.scalar(select(Job.id).where(due).limit(1)) is None:
        return []
    picked = (
        select(Job.id)
        .where(due)
        .order_by(Job.run_at, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    stmt = (
        update(Job)
        .where(Job.id.in_(picked))
        .values(
            status="running",
            lease_owner=worker_id,
            lease_expires_at=lease_until,
            attempts=Job.attempts + 1,
        )
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
    )
    result = await session.execute(stmt, execution_options={"synchronize_session": False})
    jobs = [ClaimedJob(r.id, r.kind, r.payload, r.attempts, r.max_attempts) for r in result]
    return sorted(jobs, key=lambda j: j.id)


def _owned(job_id: int, worker_id: str, attempt: int) -> Any:
    return and_(
        Job.id == job_id,
        Job.status == "running",
        Job.lease_owner == worker_id,
        Job.attempts == attempt,
    )


async def complete(
    session: AsyncSession, job_id: int, worker_id: str, attempt: int, now: datetime
) -> bool:
    """Mark done if this worker still holds the lease; False means another worker took it."""
    result = await session.execute(
        update(Job)
        .where(_owned(job_id, worker_id, attempt))
        .values(status="done", finished_at=now, lease_owner=None, lease_expires_at=None),
        execution_options={"synchronize_session": False},
    )
    return bool(getattr(result, "rowcount", 0))


async def fail(
    session: AsyncSession,
    job_id: int,
    worker_id: str,
    attempt: int,
    error: str,
    *,
    retry_at: datetime | None,
    now: datetime,
) -> bool:
    """Record a failure: back to pending at retry_at, or failed for good when None."""
    values: dict[str, Any] = {
        "last_error": error[:4000],
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if retry_at is None:
        values.update(status="failed", finished_at=now)
    else:
        values.update(status="pending", run_at=retry_at)
    result = await session.execute(
        update(Job).where(_owned(job_id, worker_id, attempt)).values(**values),
        execution_options={"synchronize_session": False},
    )
    return bool(getattr(result, "rowcount", 0))


async def heartbeat(
    session: AsyncSession, worker_id: str, hostname: str, pid: int, now: datetime
) -> None:
    stmt = upsert_insert(session, WorkerHeartbeat).values(
        worker_id=worker_id, hostname=hostname, pid=pid, started_at=now, last_seen_at=now
    )
    stmt = stmt.on_conflict_do_update(index_elements=["worker_id"], set_={"last_seen_at": now})
    await session.execute(stmt)


async def latest_heartbeat(session: AsyncSession) -> datetime | None:
    return await session.scalar(select(func.max(WorkerHeartbeat.last_seen_at)))


async def job_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: int(count) for status, count in rows}


async def purge(session: AsyncSession, done_before: datetime, failed_before: datetime) -> int:
    result = await session.execute(
        delete(Job).where(
            or_(
                and_(Job.status == "done", Job.finished_at < done_before),
                and_(Job.status == "failed", Job.finished_at < failed_before),
            )
        )
    )
    stale = await session.execute(
        delete(WorkerHeartbeat).where(WorkerHeartbeat.last_seen_at < failed_before)
    )
    return int(getattr(result, "rowcount", 0) or 0) + int(getattr(stale, "rowcount", 0) or 0)
