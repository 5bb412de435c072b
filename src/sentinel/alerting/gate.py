"""Where every ingest endpoint hands its batch over: committed before the endpoint
answers, with the writes of one process taken one transaction at a time (group commit).

Why one at a time: SQLite has a single writer, and concurrent write transactions would
otherwise wait in SQLite's busy handler, which sleeps in steps of up to 100 ms (the tail
latency of the first measurement). Why group commit: batches that arrive while a
transaction runs are applied together in the next one, so the per-statement cost is
shared by more alerts when the load is high. Batches are only merged when they come from
the same sender and share no label set, so the outcome is the same as applying them one
after the other. On PostgreSQL the queue also keeps two batches of one process from
inserting the same new label set at once; across replicas the unique fingerprint index
decides, and the loser retries.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import Request
from sqlalchemy.exc import IntegrityError

from sentinel.alerting import intake
from sentinel.alerting.config import AlertingSettings
from sentinel.alerting.pipeline import IncomingAlert
from sentinel.storage.engine import Database

MAX_MERGED = 5000  # alerts per merged transaction


def alerting_settings(request: Request) -> AlertingSettings:
    found = getattr(request.app.state, "alerting", None)
    if found is None:
        found = request.app.state.alerting = AlertingSettings()
    assert isinstance(found, AlertingSettings)
    return found


@dataclass
class _Waiting:
    alerts: Sequence[IncomingAlert]
    actor: str
    done: asyncio.Future[intake.IngestResult]


@dataclass
class IngestQueue:
    waiting: list[_Waiting] = field(default_factory=list)
    drainer: asyncio.Task[None] | None = None


def _queue(request: Request) -> IngestQueue:
    queue = getattr(request.app.state, "alert_ingest_queue", None)
    if queue is None:
        queue = request.app.state.alert_ingest_queue = IngestQueue()
    assert isinstance(queue, IngestQueue)
    return queue


def _take(waiting: list[_Waiting]) -> tuple[list[_Waiting], list[_Waiting]]:
    """The longest prefix that can share a transaction, and the rest."""
    taken: list[_Waiting] = []
    seen: set[str] = set()
    size = 0
    for i, entry in enumerate(waiting):
        prints = {a.fingerprint for a in entry.alerts}
        if taken and (
            entry.actor != taken[0].actor or prints & seen or size + len(entry.alerts) > MAX_MERGED
        ):
            return taken, waiting[i:]
        taken.append(entry)
        seen |= prints
        size += len(entry.alerts)
    return taken, []


def _share(entry: _Waiting, merged: intake.IngestResult) -> intake.IngestResult:
    mine = intake.IngestResult(received=len(entry.alerts), counts=Counter())
    for a in entry.alerts:
        fp = a.fingerprint
        if fp in merged.transitions and fp not in mine.transitions:
            mine.transitions[fp] = merged.transitions[fp]
            mine.counts[merged.transitions[fp].value] += 1
        if fp in merged.ids:
            mine.ids[fp] = merged.ids[fp]
    return mine


async def _apply(db: Database, settings: AlertingSettings, group: list[_Waiting]) -> None:
    alerts = [a for entry in group for a in entry.alerts]
    for attempt in range(3):
        try:
            async with db.transaction() as session:
                merged = await intake.ingest(
                    session, alerts, datetime.now(UTC), settings, group[0].actor
                )
            break
        except IntegrityError as exc:
            if attempt == 2:
                for entry in group:
                    entry.done.set_exception(exc)
                return
        except Exception as exc:  # the database is down, etc.: every waiter gets it
            for entry in group:
                entry.done.set_exception(exc)
            return
    for entry in group:
        entry.done.set_result(_share(entry, merged))


async def ingest_batch(
    request: Request, alerts: Sequence[IncomingAlert], actor: str
) -> intake.IngestResult:
    """Store one batch durably (possibly together with others); returns what happened to
    each of its alerts."""
    queue = _queue(request)
    done: asyncio.Future[intake.IngestResult] = asyncio.get_running_loop().create_future()
    queue.waiting.append(_Waiting(alerts, actor, done))
    if queue.drainer is None or queue.drainer.done():
        # The writes run in a task of their own, so a client that hangs up cannot
        # cancel a transaction that carries other requests' alerts.
        queue.drainer = asyncio.create_task(
            _drain(queue, request.app.state.db, alerting_settings(request))
        )
    return await done


async def _drain(queue: IngestQueue, db: Database, settings: AlertingSettings) -> None:
    while queue.waiting:
        group, queue.waiting = _take(queue.waiting)
        await _apply(db, settings, group)
