"""The alerting worker tasks: resolve expired alerts, lift ended silences, evaluate rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sentinel.alerting import flush, lifecycle, rule_service
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


def register(registry: JobRegistry) -> None:
    tick = timedelta(seconds=AlertingSettings().tick_seconds)
    registry.every("alerting.tick", tick, alerting_tick)
