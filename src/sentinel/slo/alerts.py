"""SLO alerts into the alerting pipeline: one alert per SLO and severity (page, ticket)
plus a predicted-breach alert, each with labels slo, service, severity. Firing alerts are
re-sent every evaluation (the pipeline deduplicates them by fingerprint and keeps the
current value); when the burn stops an explicit resolve is sent. A cycle sends all its
alerts to the pipeline as one batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass
class AlertChange:
    slo: Slo
    condition: str  # "page" | "ticket" | "breach"
    firing: bool
    summary: str = ""
    value: float | None = None
    threshold: float | None = None

    def incoming(self, now: datetime) -> IncomingAlert:
        labels = alert_labels(self.slo, self.condition)
        return IncomingAlert(
            labels=labels,
            source="slo",
            severity=PIPELINE_SEVERITY[labels["severity"]],
            annotations={"summary": self.summary} if self.summary else {},
            resolve=not self.firing,
            ends_at=None if self.firing else now,
            alert_type="slo_predicted_breach" if self.condition == "breach" else "slo_burn_rate",
            current_value=self.value,
            threshold_value=self.threshold,
            title=self.summary or f"{labels['alertname']} {self.slo.name}",
        )


async def publish_slo_alerts(
    session: AsyncSession, changes: Sequence[AlertChange], now: datetime, config: AlertingSettings
) -> list[int | None]:
    """Fire or resolve SLO alerts through the alerting service; returns their alert ids."""
    if not changes:
        return []
    incoming = [c.incoming(now) for c in changes]
    result = await intake.ingest(session, incoming, now, config, "slo")
    return [result.ids.get(a.fingerprint) for a in incoming]


async def publish_slo_alert(
    session: AsyncSession, change: AlertChange, now: datetime, config: AlertingSettings
) -> int | None:
    """One SLO alert (see publish_slo_alerts)."""
    return (await publish_slo_alerts(session, [change], now, config))[0]


Plan = tuple[Slo, dict[str, dict[str, Any]], Sequence[SloAlertState]]


async def apply_alert_states(
    session: AsyncSession, plans: Sequence[Plan], now: datetime, config: AlertingSettings
) -> None:
    """Bring each SLO's alerts to its desired state (condition → firing, value,
    threshold, summary): fires and re-sends while firing, one resolve when it stops."""
    changes: list[AlertChange] = []
    targets: list[tuple[Slo, SloAlertState | None, dict[str, Any], str]] = []
    for slo, desired, known in plans:
        states = {s.condition: s for s in known}
        for condition, want in desired.items():
            state = states.get(condition)
            was_firing = state is not None and state.state == "firing"
            if not want["firing"] and not was_firing:
                continue
            changes.append(
                AlertChange(
                    slo,
                    condition,
                    want["firing"],
                    want.get("summary", ""),
                    want.get("value"),
                    want.get("threshold"),
                )
            )
            targets.append((slo, state, want, condition))
    ids = await publish_slo_alerts(session, changes, now, config)
    for (slo, state, want, condition), alert_id in zip(targets, ids, strict=True):
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
        await apply_alert_states(session, [(slo, desired, known)], now, AlertingSettings())
