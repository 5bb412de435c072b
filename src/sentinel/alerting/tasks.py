"""The alerting worker tasks: resolve expired alerts, lift ended silences, evaluate rules;
and, less often, the retention of old events and resolved occurrences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sentinel.alerting import flush, lifecycle, retention, rule_service
from sentinel.alerting.config import AlertingSettings
from sentinel.worker.registry import JobContext, JobRegistry


async def alerting_tick(ctx: JobContext, _payload: dict[str, Any]) -> None:
    """Resolve alerts whose endsAt (or resolve timeout) passed without a re-send, then
    re-evaluate muting as silences and maintenance windows start and end, then evaluate
    the custom alert rules, then run the group timers (group wait / interval / repeat)."""
    now = datetime.now(UTC)
    await lifecycle.resolve_expired(ctx.session, now)
    await lifecycle.refresh_mutes(ctx.session, now)
    await rule_service.evaluate_rules(ctx.session, now, AlertingSettings())
    await flush.flush_due_groups(ctx.session, now)


async def alerting_retention(ctx: JobContext, _payload: dict[str, Any]) -> None:
    """Delete lifecycle events and resolved occurrences past the retention, in batches
    (each its own transaction, so SQLite's single writer is free in between)."""
    config = AlertingSettings()
    keep = timedelta(days=config.event_retention_days)
    await retention.purge(ctx.db, datetime.now(UTC), keep, config.retention_batch)


def register(registry: JobRegistry) -> None:
    config = AlertingSettings()
    registry.every("alerting.tick", timedelta(seconds=config.tick_seconds), alerting_tick)
    every = timedelta(seconds=config.retention_interval_seconds)
    registry.every("alerting.retention", every, alerting_retention)
