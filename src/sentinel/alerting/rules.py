"""Custom alert rules: a threshold on a measured value with a `for` duration and a no-data
policy, as a pure state machine (Prometheus/Grafana semantics). No I/O.

An `anomaly` rule compares the value's robust z-score against its own recent values
(median and MAD of the last BASELINE evaluations) instead of the raw value, so "errors
jumped" works without knowing what normal is; it stays quiet until MIN_BASELINE values
have been seen.

normal ──breach──► pending ──breach held for `for`──► firing ──no breach──► normal
A `for` of zero fires on the first breach. With no data the policy decides: `ok` treats
it as no breach, `alerting` as a breach, `keep_state` keeps the current state, `nodata`
enters the nodata state (resolving a firing alert) so a dead source is visible.
"""

from __future__ import annotations

import operator
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class RuleState(StrEnum):
    NORMAL = "normal"
    PENDING = "pending"
    FIRING = "firing"
    NODATA = "nodata"


class NoDataPolicy(StrEnum):
    OK = "ok"
    ALERTING = "alerting"
    KEEP_STATE = "keep_state"
    NODATA = "nodata"


COMPARATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


BASELINE = 30
MIN_BASELINE = 10


def robust_z(value: float, history: Sequence[float]) -> float | None:
    """How many (MAD-scaled) deviations `value` is from the median of `history`; None
    while the history is too short to say."""
    if len(history) < MIN_BASELINE:
        return None
    median = statistics.median(history)
    mad = statistics.median(abs(h - median) for h in history) * 1.4826
    if mad == 0:  # a flat history: any change is infinitely unusual, no change is 0
        return 0.0 if value == median else float("inf") * (1 if value > median else -1)
    return (value - median) / mad


def next_baseline(history: Sequence[float], value: float | None) -> list[float]:
    kept = list(history) if value is None else [*history, value]
    return kept[-BASELINE:]


@dataclass(frozen=True)
class Evaluation:
    state: RuleState
    pending_since: datetime | None
    fire: bool  # send (or re-send) the rule's alert now
    resolve: bool  # resolve the rule's alert now


def evaluate(
    value: float | None,
    comparator: str,
    threshold: float,
    for_: timedelta,
    no_data: NoDataPolicy,
    state: RuleState,
    pending_since: datetime | None,
    now: datetime,
    baseline: Sequence[float] | None = None,
) -> Evaluation:
    """The rule's next state after measuring `value` (None = no data) at `now`. With a
    `baseline` (anomaly rules) the comparison is on the value's robust z-score."""
    if value is None:
        if no_data is NoDataPolicy.KEEP_STATE:
            firing = state is RuleState.FIRING
            return Evaluation(state, pending_since, fire=firing, resolve=False)
        if no_data is NoDataPolicy.NODATA:
            return Evaluation(RuleState.NODATA, None, fire=False, resolve=state is RuleState.FIRING)
        breach = no_data is NoDataPolicy.ALERTING
    elif baseline is not None:
        z = robust_z(value, baseline)
        breach = z is not None and COMPARATORS[comparator](z, threshold)
    else:
        breach = COMPARATORS[comparator](value, threshold)
    if not breach:
        return Evaluation(RuleState.NORMAL, None, fire=False, resolve=state is RuleState.FIRING)
    if state is RuleState.FIRING:
        return Evaluation(RuleState.FIRING, pending_since, fire=True, resolve=False)
    since = pending_since if state is RuleState.PENDING and pending_since else now
    if now - since >= for_:
        return Evaluation(RuleState.FIRING, since, fire=True, resolve=False)
    return Evaluation(RuleState.PENDING, since, fire=False, resolve=False)
