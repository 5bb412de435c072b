"""The worker's own periodic housekeeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sentinel.worker import store
from sentinel.worker.registry import JobContext, JobRegistry


async def purge_finished_jobs(ctx: JobContext, _payload: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    await store.purge(ctx.session, now - timedelta(days=1), now - timedelta(days=7))


def register(registry: JobRegistry) -> None:
    registry.every("worker.purge", timedelta(hours=1), purge_finished_jobs)
