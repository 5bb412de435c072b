"""Root-cause suggestions from stored telemetry, read through the tracing and logs
domains' read functions, ranked by the pure `rootcause` module."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.incidents import rootcause
from sentinel.incidents.insights import alert_rows
from sentinel.incidents.models import Incident
from sentinel.logs import views as log_views
from sentinel.tracing import service as tracing
from sentinel.tracing.onset import SpanOnset, first_failing_span
from sentinel.tracing.service import Window
from sentinel.tracing.store import SpanQuery

LOOKBACK = timedelta(minutes=15)  # faults start before the alert that reports them
BASELINE = timedelta(minutes=60)
MAX_WINDOW = timedelta(hours=12)


@dataclass(frozen=True)
class SuggestionWindow:
    baseline_start: datetime
    start: datetime
    end: datetime

    @property
    def minutes(self) -> tuple[int, int, int]:
        return (
            int(self.baseline_start.timestamp()) // 60,
            int(self.start.timestamp()) // 60,
            -(-int(self.end.timestamp()) // 60),
        )


def window_of(incident: Incident, now: datetime) -> SuggestionWindow:
    start = incident.started_at - LOOKBACK
    end = min(incident.resolved_at or now, start + MAX_WINDOW) + timedelta(minutes=1)
    return SuggestionWindow(start - BASELINE, start, max(end, start + timedelta(minutes=2)))


def _minute_floor(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


async def _service_series(
    session: AsyncSession, w: SuggestionWindow
) -> dict[str, list[rootcause.MinutePoint]]:
    stats = await tracing.statistics(
        session,
        Window(_minute_floor(w.baseline_start), _minute_floor(w.end)),
        None,
        None,
        60,
    )
    per: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for op in stats.operations:
        for point in op.series:
            if not point.count:
                continue
            cell = per[op.service][int(point.time.timestamp()) // 60]
            cell[0] += point.count
            cell[1] += point.error_count
            # The slowest operation's p95 stands for the service in that minute.
            cell[2] = max(cell[2], point.p95_ms or 0.0)
    return {
        service: [
            rootcause.MinutePoint(m, int(c[0]), int(c[1]), c[2] or None)
            for m, c in sorted(minutes.items())
        ]
        for service, minutes in per.items()
    }


async def _edges(session: AsyncSession, w: SuggestionWindow) -> list[rootcause.EdgeCalls]:
    graph = await tracing.dependency_graph(session, Window(w.start, w.end))
    return [
        rootcause.EdgeCalls(e.caller, e.callee, e.call_count, e.error_count, e.p95_ms)
        for e in graph.edges
    ]


async def _log_signals(session: AsyncSession, w: SuggestionWindow) -> list[rootcause.LogSignal]:
    _, first, end = w.minutes
    end_ns = (end * 60 - 1) * 1_000_000_000
    window_minutes = max(1, end - first)
    _window, found = await log_views.anomalies(session, end_ns, window_minutes, 60)
    pattern_ids = [int(a.details["pattern_id"]) for a in found if "pattern_id" in a.details]
    patterns = await log_views.pattern_summaries(session, pattern_ids)
    out = []
    for a in found:
        services: tuple[str, ...] = ()
        details = dict(a.details)
        if "pattern_id" in details:
            template, names = patterns.get(int(details["pattern_id"]), ("", []))
            services = tuple(names)
            details["template"] = template
        elif "service" in details:
            services = (str(details["service"]),)
        out.append(
            rootcause.LogSignal(a.kind, a.subject, a.score, a.explanation, services, details)
        )
    return out


async def _alerts(session: AsyncSession, incident: Incident) -> list[rootcause.RelatedAlert]:
    rows = await alert_rows(session, incident)
    return [
        rootcause.RelatedAlert(
            r["alert_id"],
            r["service"],
            r["severity"],
            r["title"] or r["alert_name"],
            int(r["fired_at"].timestamp()) // 60,
        )
        for r in rows
    ]


async def _onsets(
    session: AsyncSession,
    series: dict[str, list[rootcause.MinutePoint]],
    first: int,
    end: int,
) -> dict[str, SpanOnset]:
    """For each service that moved, its first failing (or slow) span around the minute it
    moved: from the minute before (a failure that starts late in a minute may pass the
    per-minute minimum only in the next one) to the minute after."""
    out: dict[str, SpanOnset] = {}
    for service, m in rootcause.movements(series, first, end).items():
        since = max(first, m.moved_minute - 1) * rootcause.NS_PER_MINUTE
        until = (m.moved_minute + 1) * rootcause.NS_PER_MINUTE
        onset = None
        if m.error_moved:
            onset = await first_failing_span(session, service, since, until)
        threshold = m.slow_threshold_ms
        if onset is None and m.latency_moved and threshold is not None:
            slow_ns = int(threshold * 1_000_000)
            onset = await first_failing_span(
                session, service, since, until, min_duration_ns=slow_ns
            )
        if onset is not None:
            out[service] = onset
    return out


async def suggest(
    session: AsyncSession, incident: Incident, now: datetime | None = None
) -> tuple[SuggestionWindow, list[rootcause.Suggestion]]:
    """Ranked root-cause suggestions for the incident's window, each with evidence."""
    w = window_of(incident, now or datetime.now(UTC))
    _, first, end = w.minutes
    series = await _service_series(session, w)
    onsets = await _onsets(session, series, first, end)
    ranked = rootcause.rank(
        series,
        await _edges(session, w),
        await _log_signals(session, w),
        await _alerts(session, incident),
        first,
        end,
        {service: onset.ended_ns for service, onset in onsets.items()},
    )
    for suggestion in ranked:
        onset = onsets.get(suggestion.subject) if suggestion.kind == "service" else None
        if onset is not None:
            suggestion.evidence["first_failing_span"] = {
                "trace_id": onset.trace_id,
                "span_id": onset.span_id,
                "operation": onset.operation,
                "ended_at": datetime.fromtimestamp(onset.ended_ns / 1e9, UTC).isoformat(),
            }
    traced = [s for s in ranked if s.kind == "service" and s.subject in series]
    for suggestion in traced[:EXAMPLE_SERVICES]:
        suggestion.evidence["example_traces"] = await _example_traces(
            session, suggestion.subject, w
        )
    return w, ranked


EXAMPLE_SERVICES = 3
EXAMPLE_TRACES = 3


async def _example_traces(
    session: AsyncSession, service: str, w: SuggestionWindow
) -> list[dict[str, object]]:
    """A few failing traces of the service in the window: the spans behind the numbers."""
    query = SpanQuery(
        start_ns=int(w.start.timestamp() * 1e9),
        end_ns=int(w.end.timestamp() * 1e9),
        service=service,
        status="error",
    )
    page = await tracing.search_traces(session, query, "start", EXAMPLE_TRACES, None)
    return [
        {
            "trace_id": t.trace_id,
            "root": f"{t.root_service} {t.root_operation}",
            "error_count": t.error_count,
            "duration_ms": round(t.duration_ms, 2),
        }
        for t in page.items
    ]
