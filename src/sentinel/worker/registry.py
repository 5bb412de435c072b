"""What the worker can run: job handlers by kind, and periodic tasks by name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.config import Settings
from sentinel.storage.engine import Database


@dataclass
class JobContext:
    """What a handler gets: the job's own transaction and the app's shared handles."""

    session: AsyncSession
    job_id: int
    attempt: int
    db: Database
    settings: Settings
    worker_id: str = ""


JobHandler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    interval: timedelta
    kind: str


@dataclass
class JobRegistry:
    handlers: dict[str, JobHandler] = field(default_factory=dict)
    periodic: list[PeriodicTask] = field(default_factory=list)

    def register(self, kind: str, handler: JobHandler) -> None:
        if kind in self.handlers:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self.handlers[kind] = handler

    def every(self, name: str, interval: timedelta, handler: JobHandler) -> None:
        """Run `handler` once per `interval` across all replicas."""
        kind = f"periodic.{name}"
        self.register(kind, handler)
        self.periodic.append(PeriodicTask(name=name, interval=interval, kind=kind))
