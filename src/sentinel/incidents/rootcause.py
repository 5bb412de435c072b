"""Root-cause suggestions for an incident window. Pure.

The ranking follows what a responder does by hand:
1. Find the services whose error rate or latency moved in the window, against the
   baseline before it, and the minute each one moved first; then (given the onsets, from
   the spans) the moment each one moved: a minute is too coarse to say who was first when
   a failure starts late in it, since a caller with more spans per call passes the
   per-minute minimum sooner than its callee.
2. Walk the dependency graph along failing edges: a service whose failing callee also
   moved is a victim; the deepest failing callee (no failing callee of its own) is the
   suspect. Errors propagate upstream, so an upstream service that moved together with
   its callee is not the cause.
3. Corroborate with logs (new or spiking error patterns of that service) and alerts.
Every suggestion carries the numbers it was ranked on, so a responder can check it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MIN_CALLS = 3  # calls in a minute before its error rate counts
MIN_ERROR_JUMP = 0.10  # the error rate must rise by 10 points over the baseline
MIN_LATENCY_RATIO = 2.0  # or p95 at least doubles ...
MIN_LATENCY_DELTA_MS = 50.0  # ... and by a noticeable amount
EDGE_FAILING_RATE = 0.05
SEVERITY_WEIGHT = {"critical": 0.4, "high": 0.3, "medium": 0.2, "low": 0.1, "info": 0.05}


@dataclass(frozen=True)
class MinutePoint:
    minute: int  # epoch minute
    count: int
    errors: int
    p95_ms: float | None = None


@dataclass(frozen=True)
class EdgeCalls:
    caller: str
    callee: str
    calls: int
    errors: int
    p95_ms: float | None = None

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0


@dataclass(frozen=True)
class LogSignal:
    kind: str  # new_pattern | volume_spike | error_rate_spike
    subject: str
    score: float
    explanation: str
    services: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RelatedAlert:
    alert_id: int
    service: str
    severity: str
    title: str
    fired_minute: int


@dataclass
class Suggestion:
    kind: str  # service | log_pattern | alert
    subject: str
    score: float
    summary: str
    service: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class Movement:
    service: str
    moved_minute: int
    baseline_error_rate: float
    peak_error_rate: float
    baseline_p95_ms: float | None
    peak_p95_ms: float | None
    errors: int
    calls: int
    reasons: list[str]
    series: list[MinutePoint]
    error_moved: bool = False
    latency_moved: bool = False

    @property
    def slow_threshold_ms(self) -> float | None:
        """A call at least this slow counts as slow (for finding when latency moved)."""
        if self.baseline_p95_ms is None:
            return None
        return max(
            self.baseline_p95_ms * MIN_LATENCY_RATIO, self.baseline_p95_ms + MIN_LATENCY_DELTA_MS
        )

    @property
    def error_jump(self) -> float:
        return max(0.0, self.peak_error_rate - self.baseline_error_rate)

    @property
    def latency_ratio(self) -> float:
        if not self.baseline_p95_ms or not self.peak_p95_ms:
            return 1.0
        return self.peak_p95_ms / self.baseline_p95_ms

    @property
    def signal(self) -> float:
        latency = min(1.0, max(0.0, (self.latency_ratio - 1.0) / 4.0))
        return min(1.0, max(self.error_jump * 2.0, latency))


def detect_movement(
    service: str, points: Sequence[MinutePoint], window_start: int, window_end: int
) -> Movement | None:
    """Did this service's error rate or p95 move in [window_start, window_end)? When?"""
    baseline = [p for p in points if p.minute < window_start]
    window = sorted(
        (p for p in points if window_start <= p.minute < window_end), key=lambda p: p.minute
    )
    base_calls = sum(p.count for p in baseline)
    base_rate = sum(p.errors for p in baseline) / base_calls if base_calls else 0.0
    base_p95s = [p.p95_ms for p in baseline if p.p95_ms is not None]
    base_p95 = statistics.median(base_p95s) if base_p95s else None
    moved: int | None = None
    reasons: list[str] = []
    kinds = (False, False)
    peak_rate, peak_p95 = 0.0, None
    for p in window:
        if p.count < MIN_CALLS:
            continue
        rate = p.errors / p.count
        peak_rate = max(peak_rate, rate)
        if p.p95_ms is not None:
            peak_p95 = p.p95_ms if peak_p95 is None else max(peak_p95, p.p95_ms)
        error_moved = rate - base_rate >= MIN_ERROR_JUMP and p.errors >= 2
        latency_moved = (
            base_p95 is not None
            and p.p95_ms is not None
            and p.p95_ms >= base_p95 * MIN_LATENCY_RATIO
            and p.p95_ms - base_p95 >= MIN_LATENCY_DELTA_MS
        )
        if (error_moved or latency_moved) and moved is None:
            moved = p.minute
            kinds = (error_moved, latency_moved)
            if error_moved:
                reasons.append(f"error rate {rate:.0%} against a baseline of {base_rate:.0%}")
            if latency_moved:
                reasons.append(f"p95 {p.p95_ms:.0f} ms against a baseline of {base_p95:.0f} ms")
    if moved is None:
        return None
    return Movement(
        service=service,
        moved_minute=moved,
        baseline_error_rate=base_rate,
        peak_error_rate=peak_rate,
        baseline_p95_ms=base_p95,
        peak_p95_ms=peak_p95,
        errors=sum(p.errors for p in window),
        calls=sum(p.count for p in window),
        reasons=reasons,
        series=window,
        error_moved=kinds[0],
        latency_moved=kinds[1],
    )


def movements(
    series: Mapping[str, Sequence[MinutePoint]], window_start: int, window_end: int
) -> dict[str, Movement]:
    """The traced services that moved in the window."""
    out: dict[str, Movement] = {}
    for service, points in series.items():
        movement = detect_movement(service, points, window_start, window_end)
        if movement is not None:
            out[service] = movement
    return out


NS_PER_MINUTE = 60_000_000_000


def _untraced_callees(
    edges: Sequence[EdgeCalls], known: set[str], window_start: int
) -> dict[str, Movement]:
    """A callee nobody traces (a database named by peer.service) moves when the calls to
    it fail: judge it by its incoming edges."""
    out: dict[str, Movement] = {}
    by_callee: dict[str, list[EdgeCalls]] = defaultdict(list)
    for e in edges:
        if e.callee not in known:
            by_callee[e.callee].append(e)
    for callee, incoming in by_callee.items():
        calls = sum(e.calls for e in incoming)
        errors = sum(e.errors for e in incoming)
        if calls >= MIN_CALLS and errors / calls >= MIN_ERROR_JUMP and errors >= 2:
            out[callee] = Movement(
                service=callee,
                moved_minute=window_start,
                baseline_error_rate=0.0,
                peak_error_rate=errors / calls,
                baseline_p95_ms=None,
                peak_p95_ms=None,
                errors=errors,
                calls=calls,
                reasons=[f"{errors} of {calls} calls to it failed (seen by its callers only)"],
                series=[],
            )
    return out


def _chain(root: str, failing_callers: dict[str, set[str]]) -> list[str]:
    """The longest path of failing callers ending at `root`, top caller first."""
    best: list[str] = [root]
    stack: list[list[str]] = [[root]]
    while stack:
        path = stack.pop()
        callers = [c for c in failing_callers.get(path[0], ()) if c not in path]
        if not callers and len(path) > len(best):
            best = path
        for caller in sorted(callers):
            stack.append([caller, *path])
    return best


def _moved_at(
    moved: Mapping[str, Movement],
    onsets: Mapping[str, int],
    traced: set[str],
    failing_callers: Mapping[str, set[str]],
) -> dict[str, int]:
    """When each service moved (epoch ns). An untraced callee moved when the first of its
    callers did (their calls to it are all that is seen of it)."""
    out = {
        service: onsets.get(service, m.moved_minute * NS_PER_MINUTE)
        for service, m in moved.items()
        if service in traced
    }
    for service, m in moved.items():
        if service not in traced:
            callers = [out[c] for c in failing_callers.get(service, ()) if c in out]
            out[service] = min(callers, default=m.moved_minute * NS_PER_MINUTE)
    return out


def _point(p: MinutePoint) -> dict[str, Any]:
    return {"minute": p.minute, "calls": p.count, "errors": p.errors, "p95_ms": p.p95_ms}


def rank(
    series: Mapping[str, Sequence[MinutePoint]],
    edges: Sequence[EdgeCalls],
    logs: Sequence[LogSignal],
    alerts: Sequence[RelatedAlert],
    window_start: int,
    window_end: int,
    onsets: Mapping[str, int] | None = None,
) -> list[Suggestion]:
    """Suggestions, best first, each with its evidence and a score in [0, 1].

    `onsets` (epoch ns per service: when its first failing or slow span ended) say who
    moved first; a service without one counts from the start of the minute it moved."""
    moved = movements(series, window_start, window_end)
    moved.update(_untraced_callees(edges, set(series), window_start))
    failing_edges = [
        e
        for e in edges
        if e.caller in moved and e.callee in moved and e.error_rate >= EDGE_FAILING_RATE
    ]
    failing_callees: dict[str, set[str]] = defaultdict(set)
    failing_callers: dict[str, set[str]] = defaultdict(set)
    for e in failing_edges:
        failing_callees[e.caller].add(e.callee)
        failing_callers[e.callee].add(e.caller)
    moved_at = _moved_at(moved, onsets or {}, set(series), failing_callers)
    earliest = min(moved_at.values(), default=window_start * NS_PER_MINUTE)
    log_services: dict[str, list[LogSignal]] = defaultdict(list)
    for signal in logs:
        for service in signal.services:
            log_services[service].append(signal)
    alert_services: dict[str, list[RelatedAlert]] = defaultdict(list)
    for alert in alerts:
        alert_services[alert.service].append(alert)

    suggestions: list[Suggestion] = []
    for service, m in moved.items():
        is_root = not failing_callees.get(service)
        score = m.signal * (0.5 if is_root else 0.2)
        score += 0.25 if is_root else 0.0
        score += 0.1 if moved_at[service] == earliest else 0.0
        score += 0.1 if log_services.get(service) else 0.0
        score += 0.05 if alert_services.get(service) else 0.0
        chain = _chain(service, failing_callers)
        if is_root:
            summary = f"{service} is the deepest failing service: " + "; ".join(m.reasons)
            if len(chain) > 1:
                summary += f" (failing calls propagate up {' → '.join(chain)})"
        else:
            summary = (
                f"{service} moved, but its callee(s) {', '.join(sorted(failing_callees[service]))} "
                "fail too: likely a victim"
            )
        suggestions.append(
            Suggestion(
                kind="service",
                subject=service,
                service=service,
                score=round(min(1.0, score), 4),
                summary=summary,
                evidence={
                    "moved_at_minute": m.moved_minute,
                    "moved_at_ns": moved_at[service],
                    "moved_first": moved_at[service] == earliest,
                    "deepest_failing": is_root,
                    "reasons": m.reasons,
                    "baseline_error_rate": round(m.baseline_error_rate, 4),
                    "peak_error_rate": round(m.peak_error_rate, 4),
                    "baseline_p95_ms": m.baseline_p95_ms,
                    "peak_p95_ms": m.peak_p95_ms,
                    "errors": m.errors,
                    "calls": m.calls,
                    "call_path": chain,
                    "failing_callees": sorted(failing_callees.get(service, ())),
                    "failing_edges": [
                        {
                            "caller": e.caller,
                            "callee": e.callee,
                            "calls": e.calls,
                            "errors": e.errors,
                            "error_rate": round(e.error_rate, 4),
                        }
                        for e in edges
                        if (e.callee == service or e.caller == service) and e.errors
                    ],
                    "series": [_point(p) for p in m.series],
                    "log_signals": [s.subject for s in log_services.get(service, [])],
                    "alerts": [a.alert_id for a in alert_services.get(service, [])],
                },
            )
        )
    roots = {s.subject for s in suggestions if s.evidence.get("deepest_failing")}
    for signal in logs:
        base = min(1.0, signal.score / 10.0)
        weight = 0.45 if signal.kind == "new_pattern" else 0.35
        score = base * weight + (0.1 if roots & set(signal.services) else 0.0)
        suggestions.append(
            Suggestion(
                kind="log_pattern",
                subject=signal.subject,
                service=signal.services[0] if len(signal.services) == 1 else None,
                score=round(min(1.0, score), 4),
                summary=signal.explanation,
                evidence={"kind": signal.kind, "services": list(signal.services), **signal.details},
            )
        )
    for alert in alerts:
        score = SEVERITY_WEIGHT.get(alert.severity, 0.05) * 0.5
        score += 0.1 if alert.service in roots else 0.0
        suggestions.append(
            Suggestion(
                kind="alert",
                subject=f"alert {alert.alert_id}",
                service=alert.service or None,
                score=round(score, 4),
                summary=f"{alert.severity} alert on {alert.service or 'an unknown service'}: "
                f"{alert.title}",
                evidence={"alert_id": alert.alert_id, "fired_minute": alert.fired_minute},
            )
        )
    suggestions.sort(
        key=lambda s: (
            -s.score,
            s.evidence.get("moved_at_ns", window_end * NS_PER_MINUTE),
            s.subject,
        )
    )
    return suggestions
