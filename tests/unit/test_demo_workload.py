"""`sentinel demo`'s pure parts: the seeded workload, the failure's order, the 5,000-span
trace, the OTLP encoding and the scenario's request bodies."""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from sentinel.demo import scenario
from sentinel.demo.otlp import log_requests, trace_requests
from sentinel.demo.records import Batch, SpanRecord, TraceBuilder
from sentinel.demo.topology import CHECKOUT_OPERATION, REINDEX_OPERATION, SERVER
from sentinel.demo.workload import MINUTE, SECOND, Timeline, generate, plan, reindex_trace

NOW = 1_790_000_000 * SECOND + 23 * SECOND  # an arbitrary instant, not on a minute
HOUR = 60 * MINUTE


@pytest.fixture(scope="module")
def hour() -> tuple[Timeline, Batch]:
    timeline = plan(NOW, HOUR, seed=7)
    return timeline, generate(timeline, timeline.start_ns, timeline.now_ns)


def _traces(spans: list[SpanRecord]) -> dict[bytes, list[SpanRecord]]:
    out: dict[bytes, list[SpanRecord]] = defaultdict(list)
    for span in spans:
        out[span.trace_id].append(span)
    return out


def _assert_tree(spans: list[SpanRecord]) -> None:
    ids = {s.span_id for s in spans}
    assert len(ids) == len(spans), "span ids are unique within a trace"
    roots = [s for s in spans if not s.parent_id]
    assert len(roots) == 1
    by_id = {s.span_id: s for s in spans}
    for span in spans:
        assert span.end_ns > span.start_ns
        if span.parent_id:
            parent = by_id[span.parent_id]  # every parent is in the trace
            assert parent.start_ns <= span.start_ns and span.end_ns <= parent.end_ns


def test_the_same_seed_and_window_give_the_same_telemetry() -> None:
    timeline = plan(NOW, 15 * MINUTE, seed=3)
    first = generate(timeline, timeline.start_ns, timeline.start_ns + 2 * MINUTE)
    again = generate(timeline, timeline.start_ns, timeline.start_ns + 2 * MINUTE)
    assert first.spans == again.spans and first.logs == again.logs
    other = generate(
        plan(NOW, 15 * MINUTE, seed=4), timeline.start_ns, timeline.start_ns + 2 * MINUTE
    )
    assert [s.trace_id for s in other.spans] != [s.trace_id for s in first.spans]
    # A later window of the same run never repeats an id (spans re-sent would be dropped).
    later = generate(timeline, timeline.start_ns + 2 * MINUTE, timeline.start_ns + 4 * MINUTE)
    assert not {s.trace_id for s in later.spans} & {s.trace_id for s in first.spans}


def test_the_failure_is_placed_partway_through_the_history_on_a_minute() -> None:
    timeline = plan(NOW, HOUR, seed=1)
    assert timeline.failure_ns % MINUTE == 0
    assert timeline.start_ns < timeline.failure_ns < timeline.outage_ns < timeline.now_ns
    assert timeline.now_ns - timeline.failure_ns <= 21 * MINUTE
    assert timeline.start_ns <= timeline.reindex_ns < timeline.failure_ns
    short = plan(NOW, 5 * MINUTE, seed=1)  # too short: the failure comes with live traffic
    assert short.failure_ns > NOW and short.failure_ns % MINUTE == 0


def test_every_trace_is_a_tree_and_some_have_hundreds_of_spans(
    hour: tuple[Timeline, Batch],
) -> None:
    _, batch = hour
    traces = _traces(batch.spans)
    for spans in traces.values():
        _assert_tree(spans)
    sizes = sorted(len(s) for s in traces.values())
    assert sum(1 for n in sizes if 200 <= n < 1000) >= 5  # the chatty order-history calls
    assert sizes[-1] == 5000
    services = Counter(s.service for s in batch.spans)
    assert set(services) == {"frontend", "auth", "checkout", "payments", "inventory"}


def _first_bad_minute(spans: list[SpanRecord], service: str, threshold: float = 0.05) -> int:
    """The first minute in which more than `threshold` of the service's spans failed."""
    calls: Counter[int] = Counter()
    errors: Counter[int] = Counter()
    for span in spans:
        if span.service == service:
            minute = span.start_ns // MINUTE * MINUTE
            calls[minute] += 1
            errors[minute] += bool(span.error)
    return min(m for m in calls if calls[m] >= 3 and errors[m] / calls[m] > threshold)


def test_the_failure_starts_in_the_payments_database_and_climbs(
    hour: tuple[Timeline, Batch],
) -> None:
    timeline, batch = hour
    db_errors = [
        s for s in batch.spans if s.error and s.attributes.get("peer.service") == "payments-db"
    ]
    assert min(s.start_ns for s in db_errors) >= timeline.failure_ns
    payments_server = min(
        s.start_ns for s in batch.spans if s.service == "payments" and s.kind == SERVER and s.error
    )
    assert payments_server >= timeline.outage_ns  # retries absorb the first two minutes
    # Minute by minute (as root-cause ranking sees it) payments moves first, then its callers.
    first = {
        name: _first_bad_minute(batch.spans, name) for name in ("payments", "checkout", "frontend")
    }
    assert first["payments"] == timeline.failure_ns
    assert first["checkout"] == timeline.outage_ns
    assert first["payments"] < first["checkout"] <= first["frontend"]
    checkouts = [s for s in batch.spans if s.service == "checkout" and s.name == CHECKOUT_OPERATION]
    before = [s for s in checkouts if s.start_ns < timeline.failure_ns]
    late = [s for s in checkouts if s.start_ns >= timeline.outage_ns]
    assert sum(1 for s in before if s.error) / len(before) < 0.01
    assert sum(1 for s in late if s.error) / len(late) > 0.3  # the 99.5% SLO burns


def test_the_new_error_pattern_comes_with_the_failure_and_points_at_its_span(
    hour: tuple[Timeline, Batch],
) -> None:
    timeline, batch = hour
    exhausted = [r for r in batch.logs if "connection pool exhausted" in r.body]
    assert exhausted and all(r.level == "ERROR" and r.service == "payments" for r in exhausted)
    assert min(r.time_ns for r in exhausted) >= timeline.outage_ns
    spans = {(s.trace_id, s.span_id) for s in batch.spans}
    assert all((r.trace_id, r.span_id) in spans for r in exhausted)
    healthy = {r.service for r in batch.logs if r.time_ns < timeline.failure_ns}
    assert healthy == {"frontend", "auth", "checkout", "payments", "inventory"}
    assert not [
        r
        for r in batch.logs
        if r.level == "ERROR" and r.service == "payments" and r.time_ns < timeline.failure_ns
    ]
    assert {r.level for r in batch.logs} == {"DEBUG", "INFO", "WARN", "ERROR"}


def test_the_reindex_trace_has_5000_spans_in_a_valid_tree() -> None:
    batch = Batch()
    end = reindex_trace(TraceBuilder(random.Random(1), batch), NOW)
    assert len(batch.spans) == 5000
    _assert_tree(batch.spans)
    (root,) = [s for s in batch.spans if not s.parent_id]
    assert root.name == REINDEX_OPERATION and root.end_ns == end
    assert 10 * SECOND < end - NOW < 60 * SECOND
    depth = {s.span_id: 0 for s in batch.spans if not s.parent_id}
    for span in sorted(batch.spans, key=lambda s: s.start_ns):
        if span.parent_id in depth:
            depth[span.span_id] = depth[span.parent_id] + 1
    assert max(depth.values()) == 2


def test_otlp_requests_carry_every_span_and_record_with_resource_and_status(
    hour: tuple[Timeline, Batch],
) -> None:
    _, batch = hour
    spans = batch.spans[:5000]
    decoded = [ExportTraceServiceRequest.FromString(p) for p in trace_requests(spans, 2000)]
    assert len(decoded) == 3
    out = [
        (rs, span)
        for request in decoded
        for rs in request.resource_spans
        for ss in rs.scope_spans
        for span in ss.spans
    ]
    assert len(out) == len(spans)
    for rs, span in out[:200]:
        resource = {kv.key: kv.value.string_value for kv in rs.resource.attributes}
        assert resource["service.name"] and resource["deployment.environment"] == "demo"
        assert resource["service.version"] and len(span.trace_id) == 16
    errors = [span for _, span in out if span.status.code == 2]
    assert len(errors) == sum(1 for s in spans if s.error)
    records = [
        r
        for p in log_requests(batch.logs[:3000], 1000)
        for rl in ExportLogsServiceRequest.FromString(p).resource_logs
        for sl in rl.scope_logs
        for r in sl.log_records
    ]
    assert len(records) == 3000
    assert {r.severity_text for r in records} <= {"DEBUG", "INFO", "WARN", "ERROR"}


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), minutes=st.integers(1, 6))
def test_any_seed_gives_valid_trees(seed: int, minutes: int) -> None:
    timeline = plan(NOW, HOUR, seed)
    batch = generate(timeline, timeline.outage_ns, timeline.outage_ns + minutes * MINUTE)
    for spans in _traces(batch.spans).values():
        _assert_tree(spans)


def test_failure_alerts_appear_as_their_times_pass() -> None:
    timeline = plan(NOW, HOUR, seed=1)

    def names(now: int) -> list[str]:
        return [
            a["labels"]["alertname"] for a in scenario.failure_alerts(timeline, now, now + HOUR)
        ]

    assert names(timeline.failure_ns) == []
    assert names(timeline.failure_ns + MINUTE) == [scenario.FAILURE_ALERT]
    assert names(timeline.now_ns) == [
        scenario.FAILURE_ALERT,
        scenario.SYMPTOM_ALERT,
        scenario.LATENCY_ALERT,
    ]
    alerts = scenario.failure_alerts(timeline, timeline.now_ns, timeline.now_ns + HOUR)
    # All in the shop's route and group; the cause and the symptom open an incident.
    assert all(a["labels"]["namespace"] == "shop" and a["labels"]["env"] == "demo" for a in alerts)
    assert [a["labels"]["severity"] for a in alerts] == ["error", "critical", "warning"]


def test_flapping_cycles_stay_inside_the_history_and_do_not_overlap() -> None:
    timeline = plan(NOW, HOUR, seed=1)
    cycles = scenario.flapping_cycles(timeline)
    assert len(cycles) >= 12
    for (fired, resolved), (next_fired, _) in itertools.pairwise(cycles):
        assert fired < resolved < next_fired
    assert timeline.start_ns < cycles[0][0] and cycles[-1][1] < timeline.now_ns


def test_the_first_participant_is_on_call_from_an_hour_ago() -> None:
    body = scenario.schedule_body("x", [1, 2, 3], NOW, "weekly")
    layer = body["layers"][0]
    assert layer["participants"] == [1, 2, 3] and layer["start"] == "2026-09-21T13:13"
