"""Where every ingest endpoint hands its batch over: one transaction per batch, committed
before the endpoint answers, with the writes of one process taken one at a time.

Why one at a time: SQLite has a single writer, and concurrent write transactions would
otherwise wait in SQLite's busy handler, which sleeps in steps of up to 100 ms (the tail
latency of the first measurement). An asyncio lock queues them without sleeping. On
PostgreSQL it also keeps two batches of one process from inserting the same new label
set at once; across replicas the unique fingerprint index decides, and the loser retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from fastapi import Request
from sqlalchemy.exc import IntegrityError

from sentinel.alerting import intake
from sentinel.alerting.config import AlertingSettings
from sentinel.alerting.pipeline import IncomingAlert
from sentinel.storage.engine import Database


def alerting_settings(request: Request) -> AlertingSettings:
    found = getattr(request.app.state, "alerting", None)
    if found is None:
        found = request.app.state.alerting = AlertingSettings()
    assert isinstance(found, AlertingSettings)
    return found


def _lock(request: Request) -> asyncio.Lock:
    lock = getattr(request.app.state, "alert_ingest_lock", None)
    if lock is None:
        lock = request.app.state.alert_ingest_lock = asyncio.Lock()
    assert isinstance(lock, asyncio.Lock)
    return lock


async def ingest_batch(
    request: Request, alerts: Sequence[IncomingAlert], actor: str
) -> intake.IngestResult:
    """Store one batch durably; returns what happened to each alert."""
    db: Database = request.app.state.db
    settings = alerting_settings(request)
    for attempt in range(3):
        try:
            async with _lock(request), db.transaction() as session:
                return await intake.ingest(session, alerts, datetime.now(UTC), settings, actor)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
