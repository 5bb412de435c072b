"""The incidents worker task: open and attach incidents from alert events."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sentinel.incidents.automation import consume_alert_events
from sentinel.incidents.config import IncidentSettings
from sentinel.worker.registry import JobContext, JobRegistry

BUDGET_SECONDS = 5.0


async def incidents_from_alerts(ctx: JobContext, _payload: dict[str, Any]) -> None:
    """Read new alert events in batches (each batch its own transaction) for a bounded
    time, so a backlog drains without one huge transaction."""
    settings = IncidentSettings()
    started = time.monotonic()
    handled = 1
    while handled and time.monotonic() - started < BUDGET_SECONDS:
        # Not ctx.session: each batch commits (and publishes its live events) on its own.
        async with ctx.db.transaction() as session:
            handled = await consume_alert_events(session, datetime.now(UTC), settings)


def register(registry: JobRegistry) -> None:
    tick = timedelta(seconds=IncidentSettings().tick_seconds)
    registry.every("incidents.from_alerts", tick, incidents_from_alerts)
