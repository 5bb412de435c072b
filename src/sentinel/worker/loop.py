"""The background loop: heartbeat, schedule periodic tasks, claim due jobs, run them.

A job's effects and its completion commit in one transaction, and completion only
succeeds while this worker still holds the lease, so an effect that lives in the
database happens exactly once even when a lease expires under a slow worker."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
import traceback
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sentinel.config import Settings
from sentinel.storage.engine import Database
from sentinel.worker import store
from sentinel.worker.backoff import retry_delay
from sentinel.worker.registry import JobContext, JobRegistry, PeriodicTask

if TYPE_CHECKING:
    from sentinel.ingest.pool import IngestPool

log = logging.getLogger("sentinel.worker")
HEARTBEAT_EVERY = timedelta(seconds=5)


class LeaseLost(Exception):
    """Another worker took the job over; this run's effects are rolled back."""


def _now() -> datetime:
    return datetime.now(UTC)


class WorkerLoop:
    def __init__(
        self,
        db: Database,
        registry: JobRegistry,
        settings: Settings,
        *,
        worker_id: str | None = None,
        ingest_pool: IngestPool | None = None,
    ) -> None:
        self.db = db
        self.ingest_pool = ingest_pool
        self.registry = registry
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = timedelta(seconds=settings.worker_lease_seconds)
        self._wake = asyncio.Event()
        self._last_heartbeat: datetime | None = None
        self._scheduled_slots: dict[str, int] = {}
        self._polled: dict[str, float] = {}  # poller name -> monotonic time of its last run

    def wake(self) -> None:
        """Run the next cycle now instead of after the poll interval."""
        self._wake.set()

    async def run_forever(self, stop: asyncio.Event) -> None:
        log.info("worker started", extra={"worker_id": self.worker_id})
        while not stop.is_set():
            try:
                ran = await self.run_once()
            except Exception:
                # A database outage must not kill the loop: log, wait, try again.
                log.exception("worker cycle failed")
                ran = 0
            if ran == 0 and not stop.is_set():
                self._wake.clear()
                waiters = [
                    asyncio.ensure_future(self._wake.wait()),
                    asyncio.ensure_future(stop.wait()),
                ]
                await asyncio.wait(
                    waiters,
                    timeout=min(self.settings.worker_poll_seconds, self._next_poll_in()),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for waiter in waiters:
                    waiter.cancel()
        log.info("worker stopped", extra={"worker_id": self.worker_id})

    async def run_once(self) -> int:
        """One cycle; returns how many jobs ran.

        A cycle that finds nothing to do only reads: new periodic slots and the claim of
        due jobs are written in one transaction, and only when there is something to
        write (on SQLite every write transaction queues for the process's single writer).
        """
        now = _now()
        await self._heartbeat(now)
        slots = self._due_slots(now)
        async with self.db.transaction() as session:
            if slots:
                for task, slot, slot_start in slots:
                    await store.enqueue(
                        session,
                        task.kind,
                        {"slot": slot},
                        run_at=slot_start,
                        dedup_key=f"periodic:{task.name}:{slot}",
                        max_attempts=1,
                    )
            jobs = await store.claim(
                session, self.worker_id, now, now + self.lease, self.settings.worker_batch_size
            )
        for task, slot, _start in slots:
            self._scheduled_slots[task.name] = slot
        for job in jobs:
            await self._run(job)
        await self._run_pollers()
        return len(jobs)

    def _next_poll_in(self) -> float:
        """Seconds until the next poller is due (0 when one is due now)."""
        now = time.monotonic()
        waits = [
            self._polled.get(p.name, now) + p.interval.total_seconds() - now
            for p in self.registry.pollers
        ]
        return max(0.0, min(waits, default=self.settings.worker_poll_seconds))

    async def _run_pollers(self) -> None:
        timeout = self.lease.total_seconds() * 0.8
        for poller in self.registry.pollers:
            now = time.monotonic()
            last = self._polled.get(poller.name)
            if last is not None and now - last < poller.interval.total_seconds():
                continue
            self._polled[poller.name] = now
            try:
                async with self.db.transaction() as session:
                    context = JobContext(
                        session, 0, 1, self.db, self.settings, self.worker_id, self.ingest_pool
                    )
                    await asyncio.wait_for(poller.handler(context, {}), timeout)
            except Exception as exc:
                log.warning(
                    "poller failed",
                    extra={"poller": poller.name, "error": str(exc)},
                    exc_info=True,
                )

    async def _heartbeat(self, now: datetime) -> None:
        if self._last_heartbeat and now - self._last_heartbeat < HEARTBEAT_EVERY:
            return
        async with self.db.transaction() as session:
            await store.heartbeat(session, self.worker_id, socket.gethostname(), os.getpid(), now)
        self._last_heartbeat = now

    def _due_slots(self, now: datetime) -> list[tuple[PeriodicTask, int, datetime]]:
        """The periodic tasks whose current slot this worker has not enqueued yet (one job
        per slot across all replicas: the dedup key decides)."""
        due = []
        for task in self.registry.periodic:
            seconds = task.interval.total_seconds()
            slot = int(now.timestamp() // seconds)
            if self._scheduled_slots.get(task.name) != slot:
                due.append((task, slot, datetime.fromtimestamp(slot * seconds, UTC)))
        return due

    async def _run(self, job: store.ClaimedJob) -> None:
        handler = self.registry.handlers.get(job.kind)
        if handler is None:
            await self._record_failure(
                job, f"no handler registered for job kind {job.kind!r}", final=True
            )
            return
        if job.attempt > job.max_attempts:
            await self._record_failure(
                job, "gave up: the job's worker died on every attempt", final=True
            )
            return
        timeout = self.lease.total_seconds() * 0.8
        try:
            async with self.db.transaction() as session:
                context = JobContext(
                    session,
                    job.id,
                    job.attempt,
                    self.db,
                    self.settings,
                    self.worker_id,
                    self.ingest_pool,
                )
                await asyncio.wait_for(handler(context, dict(job.payload)), timeout)
                if not await store.complete(session, job.id, self.worker_id, job.attempt, _now()):
                    raise LeaseLost(f"job {job.id} was taken over by another worker")
        except LeaseLost:
            log.warning("lease lost; effects rolled back", extra={"job_id": job.id})
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
            log.warning("job failed", extra={"job_id": job.id, "kind": job.kind, "error": str(exc)})
            await self._record_failure(job, detail, final=job.attempt >= job.max_attempts)

    async def _record_failure(self, job: store.ClaimedJob, error: str, *, final: bool) -> None:
        now = _now()
        retry_at = (
            None if final else now + retry_delay(job.attempt, jitter=random.uniform(0.5, 1.0))
        )
        try:
            async with self.db.transaction() as session:
                await store.fail(
                    session, job.id, self.worker_id, job.attempt, error, retry_at=retry_at, now=now
                )
        except Exception:
            log.exception("could not record a job failure; its lease will expire and it reruns")


async def enqueue(
    db: Database,
    kind: str,
    payload: dict[str, Any],
    *,
    delay: timedelta = timedelta(0),
    dedup_key: str | None = None,
    max_attempts: int = 5,
) -> int | None:
    """Enqueue in a transaction of its own (domains enqueue inside theirs with store.enqueue)."""
    async with db.transaction() as session:
        return await store.enqueue(
            session,
            kind,
            payload,
            run_at=_now() + delay,
            dedup_key=dedup_key,
            max_attempts=max_attempts,
        )
