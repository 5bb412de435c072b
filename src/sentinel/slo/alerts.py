"""SLO alerts into the alerting pipeline: one alert per SLO and severity (page, ticket)
plus a predicted-breach alert, each with labels slo, service, severity. Firing alerts are
re-sent every evaluation (the pipeline deduplicates them by fingerprint and keeps the
current value); when the burn stops an explicit resolve is sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import intake
from sentinel.alerting.config import AlertingSettings
from sentinel.alerting.pipeline import IncomingAlert
from sentinel.alerting.severity import Severity
from sentinel.slo.models import Slo, SloAlertState

BURN_ALERT = "SLOErrorBudgetBurn"
BREACH_ALERT = "SLOPredictedBreach"
PIPELINE_SEVERITY = {"page": Severity.CRITICAL, "ticket": Severity.MEDIUM}


def alert_labels(slo: Slo, condition: str) -> dict[str, str]:
    """The identity of an SLO alert: stable across evaluations, so re-sends deduplicate."""
    if condition == "breach":
        name, severity = BREACH_ALERT, "ticket"
    else:
        name, severity = BURN_ALERT, condition
    return {
        **{k: v for k, v in slo.labels.items() if k not in ("alertname", "slo", "service")},
        "alertname": name,
        "slo": slo.name,
        "service": slo.service,
        "severity": severity,
    }


async def publish_slo_alert(
    session: AsyncSession,
    slo: Slo,
    condition: str,
    *,
    firing: bool,
    now: datetime,
    summary: str = "",
    value: float | None = None,
    threshold: float | None = None,
    config: AlertingSettings | None = None,
) -> int | None:
    """Fire (or resolve) one SLO alert through the alerting service; returns its id."""
    labels = alert_labels(slo, condition)
    alert = IncomingAlert(
        labels=labels,
        source="slo",
        severity=PIPELINE_SEVERITY[labels["severity"]],
        annotations={"summary": summary} if summary else {},
        resolve=not firing,
        ends_at=None if firing else now,
        alert_type="slo_burn_rate" if condition != "breach" else "slo_predicted_breach",
        current_value=value,
        threshold_value=threshold,
        title=summary or f"{labels['alertname']} {slo.name}",
    )
    result = await intake.ingest(session, [alert], now, config or AlertingSettings(), "slo")
    return result.ids.get(alert.fingerprint)


async def apply_alert_states(
    session: AsyncSession,
    slo: Slo,
    desired: dict[str, dict[str, Any]],
    now: datetime,
    config: AlertingSettings,
    known: Sequence[SloAlertState],
) -> None:
    """Bring the SLO's alerts to `desired` (condition → firing, value, threshold, summary),
    sending fires and resolves to the alerting pipeline and recording the state."""
    states = {s.condition: s for s in known}
    for condition, want in desired.items():
        state = states.get(condition)
        was_firing = state is not None and state.state == "firing"
        if not want["firing"] and not was_firing:
            continue
        alert_id = await publish_slo_alert(
            session,
            slo,
            condition,
            firing=want["firing"],
            now=now,
            summary=want.get("summary", ""),
            value=want.get("value"),
            threshold=want.get("threshold"),
            config=config,
        )
        new_state = "firing" if want["firing"] else "ok"
        if state is None:
            state = SloAlertState(
                slo_id=slo.id,
                condition=condition,
                severity=alert_labels(slo, condition)["severity"],
                state=new_state,
                since=now,
            )
            session.add(state)
        elif state.state != new_state:
            state.state, state.since = new_state, now
        state.value, state.threshold = want.get("value"), want.get("threshold")
        state.alert_id = alert_id or state.alert_id
        state.updated_at = now


async def resolve_all(session: AsyncSession, slo: Slo, now: datetime) -> None:
    """Resolve every firing alert of an SLO (it is being deleted)."""
    known = list(await session.scalars(select(SloAlertState).where(SloAlertState.slo_id == slo.id)))
    desired: dict[str, dict[str, Any]] = {
        s.condition: {"firing": False} for s in known if s.state == "firing"
    }
    if desired:
        await apply_alert_states(session, slo, desired, now, AlertingSettings(), known)
