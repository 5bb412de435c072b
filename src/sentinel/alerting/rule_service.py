"""Evaluating custom alert rules: measure, step the state machine, record state changes,
and raise or resolve the rule's alert through the ordinary ingest pipeline."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import intake, sources
from sentinel.alerting.config import AlertingSettings
from sentinel.alerting.models import AlertRule, AlertRuleStateChange
from sentinel.alerting.pipeline import IncomingAlert
from sentinel.alerting.rules import NoDataPolicy, RuleState, evaluate, next_baseline
from sentinel.alerting.severity import Severity

log = logging.getLogger("sentinel.alerting.rules")


def rule_alert(rule: AlertRule, value: float | None, resolve: bool) -> IncomingAlert:
    shown = "no data" if value is None else f"{value:g}"
    return IncomingAlert(
        labels={**rule.labels, "alertname": rule.name},
        source="rule",
        severity=Severity(rule.severity),
        annotations=rule.annotations,
        alert_type="threshold",
        title=rule.annotations.get("summary")
        or f"{rule.name}: {shown} {rule.comparator} {rule.threshold:g}",
        current_value=value,
        threshold_value=rule.threshold,
        resolve=resolve,
    )


async def evaluate_rules(session: AsyncSession, now: datetime, config: AlertingSettings) -> int:
    """Evaluate every enabled rule once; returns how many changed state."""
    rules = (await session.scalars(select(AlertRule).where(AlertRule.enabled.is_(True)))).all()
    outgoing: list[IncomingAlert] = []
    changed = 0
    for rule in rules:
        source = sources.get(rule.source)
        if source is None or source.measure is None:
            continue  # refused at creation; a source that went away is skipped
        try:
            value = await source.measure(session, rule.params, now)
        except Exception:  # a broken source must not stop the other rules
            log.exception("rule %s: source %s failed", rule.name, rule.source)
            continue
        anomaly = rule.condition == "anomaly"
        result = evaluate(
            value,
            rule.comparator,
            rule.threshold,
            timedelta(seconds=rule.for_s),
            NoDataPolicy(rule.no_data),
            RuleState(rule.state),
            rule.pending_since,
            now,
            baseline=rule.baseline if anomaly else None,
        )
        if anomaly:
            rule.baseline = next_baseline(rule.baseline, value)
        if result.state != rule.state:
            changed += 1
            session.add(
                AlertRuleStateChange(
                    rule_id=rule.id,
                    at=now,
                    from_state=rule.state,
                    to_state=result.state.value,
                    value=value,
                )
            )
            rule.state, rule.state_since = result.state.value, now
        rule.pending_since = result.pending_since
        rule.last_eval_at, rule.last_value = now, value
        if result.fire or result.resolve:
            outgoing.append(rule_alert(rule, value, resolve=result.resolve))
    if outgoing:
        await intake.ingest(session, outgoing, now, config, "rule-evaluator")
    return changed
