"""Where every ingest endpoint hands its batch over: committed before the endpoint
answers, batches of one process written one transaction at a time (group commit, see
storage/group_commit.py; on SQLite the transaction also queues at the process's write
gate, storage/write_gate.py, with the worker's).

Batches that arrive while a transaction runs are applied together in the next one, so
the per-statement cost is shared by more alerts when the load is high (batches of 1,024
cost about half the CPU per alert of batches of 256). They are only merged when they come
from the same sender and share no label set, so the outcome is the same as applying them
one after the other. On PostgreSQL the single queue also keeps two batches of one process
from inserting the same new label set at once; across replicas the unique fingerprint
index decides, and the loser retries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import intake
from sentinel.alerting.config import AlertingSettings
from sentinel.alerting.pipeline import IncomingAlert
from sentinel.storage.group_commit import GroupCommit

MAX_MERGED = 5000  # alerts per merged transaction


def alerting_settings(request: Request) -> AlertingSettings:
    found = getattr(request.app.state, "alerting", None)
    if found is None:
        found = request.app.state.alerting = AlertingSettings()
    assert isinstance(found, AlertingSettings)
    return found


@dataclass(frozen=True)
class Submission:
    """One request's batch and who sent it."""

    alerts: Sequence[IncomingAlert]
    actor: str


def _take(waiting: Sequence[Submission]) -> int:
    """How many of the waiting batches (a prefix) can share a transaction."""
    seen: set[str] = set()
    size = 0
    for i, entry in enumerate(waiting):
        prints = {a.fingerprint for a in entry.alerts}
        too_big = size + len(entry.alerts) > MAX_MERGED
        if i and (entry.actor != waiting[0].actor or prints & seen or too_big):
            return i
        seen |= prints
        size += len(entry.alerts)
    return len(waiting)


def _share(entry: Submission, merged: intake.IngestResult) -> intake.IngestResult:
    mine = intake.IngestResult(received=len(entry.alerts), counts=Counter())
    for a in entry.alerts:
        fp = a.fingerprint
        if fp in merged.transitions and fp not in mine.transitions:
            mine.transitions[fp] = merged.transitions[fp]
            mine.counts[merged.transitions[fp].value] += 1
        if fp in merged.ids:
            mine.ids[fp] = merged.ids[fp]
    return mine


def _queue(request: Request) -> GroupCommit[Submission, intake.IngestResult]:
    queue = getattr(request.app.state, "alert_ingest_queue", None)
    if queue is None:
        settings = alerting_settings(request)

        async def apply(
            session: AsyncSession, group: Sequence[Submission]
        ) -> list[intake.IngestResult]:
            alerts = [a for entry in group for a in entry.alerts]
            merged = await intake.ingest(
                session, alerts, datetime.now(UTC), settings, group[0].actor
            )
            return [_share(entry, merged) for entry in group]

        queue = request.app.state.alert_ingest_queue = GroupCommit(
            request.app.state.db, apply, take=_take, retry_on=(IntegrityError,)
        )
    assert isinstance(queue, GroupCommit)
    return queue


async def ingest_batch(
    request: Request, alerts: Sequence[IncomingAlert], actor: str
) -> intake.IngestResult:
    """Store one batch durably (possibly together with others); returns what happened to
    each of its alerts."""
    return await _queue(request).submit(Submission(alerts, actor))
