"""The whole incident story from real telemetry, against a real server (both databases).

The OpenTelemetry SDK sends traces of frontend → checkout → payments; payments starts
failing, its logs (OTLP log exporter) show a new error pattern, and an alert on the
symptom (checkout) fires through the alert API. The incident opens itself, the
suggestions rank payments first with its evidence, responders work the incident, and
the timeline and the post-mortem hold the events in order."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from tests.conftest import INGEST_KEY
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e
AUTH = {"authorization": f"Bearer {INGEST_KEY}"}
MS = 1_000_000
ERROR_LINE = "payment db pool exhausted: no connection within %d ms (pool size %d)"


def _eventually(check: Callable[[], Any], timeout: float = 40.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.3)


def _provider(service: str, url: str) -> TracerProvider:
    tp = TracerProvider(resource=Resource.create({"service.name": service}))
    tp.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{url}/v1/traces", headers=AUTH))
    )
    return tp


def _request(tracers: dict[str, trace.Tracer], start_ns: int, failing: bool) -> None:
    """One checkout request across three services, with explicit times."""
    error = Status(StatusCode.ERROR, "payment failed")
    root = tracers["frontend"].start_span("GET /buy", kind=SpanKind.SERVER, start_time=start_ns)
    call = tracers["frontend"].start_span(
        "POST checkout",
        context=trace.set_span_in_context(root),
        kind=SpanKind.CLIENT,
        start_time=start_ns + 1 * MS,
    )
    handler = tracers["checkout"].start_span(
        "POST /checkout",
        context=trace.set_span_in_context(call),
        kind=SpanKind.SERVER,
        start_time=start_ns + 2 * MS,
    )
    charge_call = tracers["checkout"].start_span(
        "charge",
        context=trace.set_span_in_context(handler),
        kind=SpanKind.CLIENT,
        start_time=start_ns + 3 * MS,
    )
    charge = tracers["payments"].start_span(
        "Charge",
        context=trace.set_span_in_context(charge_call),
        kind=SpanKind.SERVER,
        start_time=start_ns + 4 * MS,
    )
    took = 40 if failing else 12
    for span in (charge, charge_call, handler, call, root):
        if failing:
            span.set_status(error)
    charge.end(end_time=start_ns + (4 + took) * MS)
    charge_call.end(end_time=start_ns + (5 + took) * MS)
    handler.end(end_time=start_ns + (6 + took) * MS)
    call.end(end_time=start_ns + (7 + took) * MS)
    root.end(end_time=start_ns + (8 + took) * MS)


def _send_telemetry(url: str) -> None:
    providers = {s: _provider(s, url) for s in ("frontend", "checkout", "payments")}
    tracers = {s: tp.get_tracer("scenario") for s, tp in providers.items()}
    now = time.time_ns()
    # Healthy traffic from eight to four minutes ago, then payments fails 60% of calls.
    for i in range(40):
        _request(tracers, now - 8 * 60_000 * MS + i * 6_000 * MS, failing=False)
    # The failure starts 55 s into a minute, the hard case: in that partial minute
    # checkout (two spans per call) passes the per-minute minimum while payments (one
    # span) does not, so by the minute checkout moved first. The ranking must still see
    # that payments' failing spans came first.
    minute = 60_000 * MS
    failure_starts = (now - 180_000 * MS) // minute * minute + 55_000 * MS
    for i in range(40):
        _request(tracers, failure_starts + i * 2_500 * MS, failing=i % 5 < 3)
    for tp in providers.values():
        assert tp.force_flush(10_000)
        tp.shutdown()

    logs = LoggerProvider(resource=Resource.create({"service.name": "payments"}))
    logs.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{url}/v1/logs", headers=AUTH))
    )
    handler = LoggingHandler(level=logging.INFO, logger_provider=logs)
    logger = logging.getLogger("payments.scenario")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        for i in range(30):
            logger.info("payment %d authorized in %d ms", 5000 + i, 10 + i % 7)
        for i in range(25):
            logger.error(ERROR_LINE, 5000, 20 + i % 3)
        assert logs.force_flush(10_000)
    finally:
        logger.removeHandler(handler)
        logs.shutdown()


def test_incident_opens_itself_and_points_at_the_failing_callee(live_server: LiveServer) -> None:
    _send_telemetry(live_server.url)
    api = httpx.Client(base_url=live_server.url, headers=live_server.admin_headers(), timeout=30)
    fired = httpx.post(
        f"{live_server.url}/api/alerts",
        headers=AUTH,
        json={
            "service_name": "checkout",
            "alert_name": "checkout_5xx",
            "alert_type": "threshold",
            "severity": "critical",
            "title": "Checkout error rate above 5%",
            "current_value": 0.6,
            "threshold_value": 0.05,
        },
    )
    assert fired.status_code == 201, fired.text
    alert_id = fired.json()["id"]

    def opened() -> list[dict[str, Any]]:
        r = api.get("/api/incidents/active")
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        return items

    incidents = _eventually(opened)
    assert len(incidents) == 1, live_server.log()[-3000:]
    incident = incidents[0]
    iid = incident["id"]
    assert incident["source"] == "alert" and incident["alert_ids"] == [alert_id]
    assert incident["severity"] == "critical" and incident["affected_services"] == ["checkout"]

    def ranked() -> dict[str, Any] | None:
        body: dict[str, Any] = api.get(f"/api/incidents/{iid}/root-cause/suggestions").json()
        suggestions = body["suggestions"]
        has_log = any(s["kind"] == "log_pattern" for s in suggestions)
        if suggestions and suggestions[0]["subject"] == "payments" and has_log:
            return body
        return None

    body = _eventually(ranked)
    assert body, api.get(f"/api/incidents/{iid}/root-cause/suggestions").text
    top = body["suggestions"][0]
    assert top["kind"] == "service" and top["service"] == "payments"
    evidence = top["evidence"]
    assert evidence["deepest_failing"] and evidence["moved_first"]
    first_span = evidence["first_failing_span"]
    assert first_span["operation"] == "Charge" and first_span["trace_id"]
    victims = {s["subject"]: s["evidence"] for s in body["suggestions"] if s["kind"] == "service"}
    assert not victims["checkout"]["moved_first"]
    assert victims["checkout"]["moved_at_ns"] > evidence["moved_at_ns"]
    assert evidence["call_path"] == ["frontend", "checkout", "payments"]
    assert evidence["peak_error_rate"] >= 0.5 and evidence["errors"] >= 20
    assert any(
        e["caller"] == "checkout" and e["callee"] == "payments" for e in evidence["failing_edges"]
    )
    assert evidence["series"] and evidence["log_signals"]
    example = evidence["example_traces"][0]
    assert example["root"] == "frontend GET /buy" and example["error_count"] == 5
    trace_view = api.get(f"/api/tracing/traces/{example['trace_id']}")
    assert trace_view.status_code == 200 and trace_view.json()["error_count"] == 5
    services = [s["subject"] for s in body["suggestions"] if s["kind"] == "service"]
    assert services.index("payments") < services.index("checkout") < 99
    error_patterns = [
        s for s in body["suggestions"] if s["kind"] == "log_pattern" and "pool exhausted" in str(s)
    ]
    assert error_patterns and error_patterns[0]["evidence"]["is_error"]

    ack = api.post(f"/api/incidents/{iid}/status", json={"status": "acknowledged"})
    assert ack.status_code == 200, ack.text

    def alert_acknowledged() -> bool:
        items = api.get(f"/api/incidents/{iid}/timeline").json()["items"]
        return any(e["message"] == f"Alert {alert_id} acknowledged" for e in items)

    # The incident's acknowledge acknowledged its alert; the worker puts that on the timeline.
    assert _eventually(alert_acknowledged)
    for step in (
        api.post(f"/api/incidents/{iid}/updates", json={"message": "payments DB pool at max"}),
        api.post(
            f"/api/incidents/{iid}/root-cause",
            json={"summary": "payments DB pool too small after v42", "service": "payments"},
        ),
        api.post(f"/api/incidents/{iid}/status", json={"status": "resolved"}),
    ):
        assert step.status_code in (200, 201), step.text
    timeline = api.get(f"/api/incidents/{iid}/timeline").json()["items"]
    kinds = [e["kind"] for e in timeline]
    assert kinds == ["created", "alert", "status", "alert", "update", "root_cause", "status"], kinds
    assert timeline[0]["author"] == "sentinel" and timeline[2]["author"] == "admin@example.com"
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)

    doc = api.get(f"/api/incidents/{iid}/post-mortem").json()
    assert [e["kind"] for e in doc["timeline"]] == kinds
    assert doc["alerts"][0]["alert_name"] == "checkout_5xx"
    assert doc["suggestions"][0]["subject"] == "payments"
    assert doc["root_cause"]["service"] == "payments"
    assert doc["response"]["time_to_acknowledge_seconds"] is not None
    markdown = api.get(f"/api/incidents/{iid}/post-mortem", params={"format": "markdown"}).text
    for needle in (
        "checkout_5xx",
        "**payments** (service",
        "call path: frontend → checkout → payments",
        "pool exhausted",
        "payments DB pool too small after v42",
        "payments DB pool at max",
        example["trace_id"],
    ):
        assert needle in markdown, needle
    api.close()
