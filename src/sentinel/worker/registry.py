"""What the worker can run: job handlers by kind, and periodic tasks by name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.config import Settings
from sentinel.storage.engine import Database

if TYPE_CHECKING:
    from sentinel.ingest.pool import IngestPool


@dataclass
class JobContext:
    """What a handler gets: the job's own transaction and the app's shared handles."""

    session: AsyncSession
    job_id: int
    attempt: int
    db: Database
    settings: Settings
    worker_id: str = ""
    # The serving process's ingest pool (SQLite), for work that can run in its processes.
    ingest_pool: IngestPool | None = None


JobHandler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    interval: timedelta
    kind: str


@dataclass(frozen=True)
class Poller:
    name: str
    interval: timedelta
    handler: JobHandler


@dataclass
class JobRegistry:
    handlers: dict[str, JobHandler] = field(default_factory=dict)
    periodic: list[PeriodicTask] = field(default_factory=list)
    pollers: list[Poller] = field(default_factory=list)

    def register(self, kind: str, handler: JobHandler) -> None:
        if kind in self.handlers:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self.handlers[kind] = handler

    def every(self, name: str, interval: timedelta, handler: JobHandler) -> None:
        """Run `handler` once per `interval` across all replicas."""
        kind = f"periodic.{name}"
        self.register(kind, handler)
        self.periodic.append(PeriodicTask(name=name, interval=interval, kind=kind))

    def poll(self, name: str, interval: timedelta, handler: JobHandler) -> None:
        """Run `handler` every `interval` in every worker process, with no job row.

        For handlers that find their own work through rows they lock (a cursor row
        `FOR UPDATE`, due rows `SKIP LOCKED`), so that running in several replicas at once
        is safe, and whose idle tick only reads: a tick then writes nothing at all (on
        SQLite, a periodic job's row would cost two write transactions per tick). The
        handler's `ctx.session` is a transaction of its own; `ctx.job_id` is 0."""
        if any(p.name == name for p in self.pollers):
            raise ValueError(f"a poller named {name!r} is already registered")
        self.pollers.append(Poller(name=name, interval=interval, handler=handler))
