"""The incidents worker tasks: open and attach incidents from alert events, put delivery
attempts on their timelines, resolve them by policy; run runbooks' auto-run steps."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sentinel.incidents import runbooks, service
from sentinel.incidents.automation import AUTO_RUNBOOKS_JOB, consume_alert_events
from sentinel.incidents.config import IncidentSettings
from sentinel.incidents.models import Runbook
from sentinel.incidents.notifications import consume_notifications
from sentinel.incidents.operations import auto_resolve
from sentinel.worker.registry import JobContext, JobRegistry

BUDGET_SECONDS = 5.0


async def incidents_from_alerts(ctx: JobContext, _payload: dict[str, Any]) -> None:
    """Read new alert events, then new delivery attempts, in batches (each batch its own
    transaction) for a bounded time, so a backlog drains without one huge transaction."""
    settings = IncidentSettings()
    started = time.monotonic()
    for consume in (consume_alert_events, consume_notifications):
        handled = 1
        while handled and time.monotonic() - started < BUDGET_SECONDS:
            # Not ctx.session: each batch commits (and publishes its live events) on its own.
            async with ctx.db.transaction() as session:
                handled = await consume(session, datetime.now(UTC), settings)
    async with ctx.db.transaction() as session:
        await auto_resolve(session, datetime.now(UTC), settings)


async def auto_run_runbooks(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Run the auto-run steps of the runbooks of a new incident, each in a transaction of
    its own (written after its call; see runbooks.start_run). A retry skips the steps
    already run for the incident."""
    incident_id = int(payload["incident_id"])
    async with ctx.db.transaction() as session:
        incident = await service.get_incident(session, incident_id)
        pending = await runbooks.auto_steps(session, incident)
    for runbook_id, step in pending:
        async with ctx.db.transaction() as session:
            incident = await service.get_incident(session, incident_id)
            book = await session.get(Runbook, runbook_id)
            if book is None:
                continue
            await runbooks.start_run(
                session,
                incident,
                book,
                step,
                False,
                runbooks.AUTO_AUTHOR,
                ctx.settings.jwt_secret(),
                datetime.now(UTC),
            )


def register(registry: JobRegistry) -> None:
    tick = timedelta(seconds=IncidentSettings().tick_seconds)
    # A poller (no job row per tick): its cursors are locked rows, and idle it only reads.
    registry.poll("incidents.from_alerts", tick, incidents_from_alerts)
    registry.register(AUTO_RUNBOOKS_JOB, auto_run_runbooks)
