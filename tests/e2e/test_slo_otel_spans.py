"""SLOs over spans sent by the real OpenTelemetry SDK (OTLP/HTTP) to a running server whose
worker evaluates them: SLIs from stored spans, and the burn-rate page in the alerting
pipeline."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from tests.conftest import INGEST_KEY
from tests.e2e.conftest import LiveServer, start_server, stop_server

pytestmark = pytest.mark.e2e
MS = 1_000_000


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(database_url, tmp_path / "server", {"SENTINEL_SLO_EVALUATION_SECONDS": "1"})
    try:
        yield live
    finally:
        stop_server(live)


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last={last!r}")


def test_span_slos_from_the_sdk_and_their_page(server: LiveServer) -> None:
    headers = server.admin_headers()
    ids = {}
    for name, sli in (
        ("cart-errors", {"source": "span_ratio", "operation": "GET /cart"}),
        ("cart-latency", {"source": "span_latency", "operation": "GET /cart", "threshold_ms": 100}),
    ):
        created = httpx.post(
            f"{server.url}/api/slo",
            headers=headers,
            json={"name": name, "service": "shop", "target": 0.99, "window": "7d", "sli": sli},
        )
        assert created.status_code == 201, created.text
        ids[name] = created.json()["id"]

    provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
    provider.add_span_processor(
        SimpleSpanProcessor(
            OTLPSpanExporter(
                endpoint=f"{server.url}/v1/traces",
                headers={"authorization": f"Bearer {INGEST_KEY}"},
            )
        )
    )
    tracer = provider.get_tracer("shop")
    start = time.time_ns() - 5_000 * MS
    # 20 requests: 4 fail; 12 take 50 ms and 8 take 250 ms. Plus noise the SLIs must skip.
    for i in range(20):
        span = tracer.start_span("GET /cart", kind=SpanKind.SERVER, start_time=start + i * MS)
        if i % 5 == 0:
            span.set_status(Status(StatusCode.ERROR, "boom"))
        span.end(end_time=start + i * MS + (50 if i < 12 else 250) * MS)
    other = tracer.start_span("GET /health", start_time=start)
    other.set_status(Status(StatusCode.ERROR))
    other.end(end_time=start + 900 * MS)
    provider.shutdown()

    def status(name: str) -> dict[str, Any]:
        r = httpx.get(f"{server.url}/api/slo/{ids[name]}/status", headers=headers)
        r.raise_for_status()
        body: dict[str, Any] = r.json()
        return body

    errors = wait_for(lambda: (s := status("cart-errors"))["total"] == 20 and s, 30, "spans")
    assert errors["good"] == 16 and errors["sli"] == pytest.approx(0.8)
    assert errors["source_error"] is None
    latency = wait_for(lambda: (s := status("cart-latency"))["total"] == 20 and s, 30, "spans")
    assert latency["good"] == 12 and latency["sli"] == pytest.approx(0.6)

    # 20% errors against 1% allowed is a burn of 20 in the 1h and 5m windows: a page.
    def page() -> list[dict[str, Any]]:
        r = httpx.get(f"{server.url}/api/alerts", params={"limit": "100"}, headers=headers)
        return [
            a
            for a in r.json()["items"]
            if a["labels"].get("slo") == "cart-errors" and a["labels"]["severity"] == "page"
        ]

    alert = wait_for(page, 30, "the cart-errors page")[0]
    assert alert["status"] == "firing" and alert["labels"]["service"] == "shop"
    assert alert["labels"]["alertname"] == "SLOErrorBudgetBurn"
