"""The real OpenTelemetry Python SDK (LoggerProvider + LoggingHandler + OTLP/HTTP log
exporter) logging inside an active span, against a running server: the records are found
by text, level, service and trace id, and the worker mines their patterns."""

from __future__ import annotations

import gzip
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import (
    OTLPLogExporter as GrpcLogExporter,
)
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from tests.conftest import INGEST_KEY
from tests.e2e.conftest import LiveServer, free_port, start_server, stop_server

pytestmark = pytest.mark.e2e


def _eventually(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def test_sdk_logs_inside_a_span_are_searchable(live_server: LiveServer) -> None:
    auth = {"authorization": f"Bearer {INGEST_KEY}"}
    resource = Resource.create({"service.name": "billing", "deployment.environment": "e2e"})
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(
            OTLPLogExporter(endpoint=f"{live_server.url}/v1/logs", headers=auth)
        )
    )
    handler = LoggingHandler(level=logging.DEBUG, logger_provider=logger_provider)
    logger = logging.getLogger("billing.e2e")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    tracer = TracerProvider(resource=resource).get_tracer("billing")
    try:
        with tracer.start_as_current_span("charge card") as span:
            trace_id = format(span.get_span_context().trace_id, "032x")
            span_id = format(span.get_span_context().span_id, "016x")
            logger.info("charging card for invoice %s", "inv-1001")
            logger.warning("card issuer slow to answer, retrying in %d ms", 250)
            try:
                raise TimeoutError("issuer did not answer")
            except TimeoutError:
                logger.exception("charge failed for invoice inv-1001")
        for i in range(20):
            logger.info("invoice inv-%d sent to customer %d", 2000 + i, i)
        assert logger_provider.force_flush(10_000)
    finally:
        logger.removeHandler(handler)
        logger_provider.shutdown()

    headers = live_server.admin_headers()
    base = f"{live_server.url}/api/logs"

    def search(**params: Any) -> list[dict[str, Any]]:
        response = httpx.get(f"{base}/search", params=params, headers=headers)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    by_text = search(query='"charge failed"')
    assert len(by_text) == 1
    failed = by_text[0]
    assert failed["level"] == "ERROR" and failed["service_name"] == "billing"
    assert failed["trace_id"] == trace_id and failed["span_id"] == span_id
    assert failed["attributes"]["exception.type"] == "TimeoutError"
    assert failed["resource"]["deployment.environment"] == "e2e"
    assert [i["message"] for i in search(level="warn")] == [
        "card issuer slow to answer, retrying in 250 ms"
    ]
    assert len(search(service_name="billing", limit=100)) == 23
    assert search(query="service:nonexistent") == []
    in_trace = httpx.get(f"{base}/trace/{trace_id}", headers=headers).json()
    assert [i["level"] for i in in_trace["items"]] == ["INFO", "WARN", "ERROR"]
    assert {i["span_id"] for i in in_trace["items"]} == {span_id}

    # The worker mines patterns behind ingest: every line gets its pattern.
    def mined() -> Any:
        body = httpx.get(f"{base}/patterns", headers=headers).json()
        return {p["template"]: p for p in body["items"]}.get("invoice <*> sent to customer <NUM>")

    pattern = _eventually(mined)
    assert pattern and pattern["count"] == 20 and pattern["services"] == ["billing"]
    fresh = httpx.get(f"{base}/search", params={"query": "invoice"}, headers=headers).json()
    assert _eventually(
        lambda: (
            httpx.get(f"{base}/search", params={"query": "x"}, headers=headers).json()["index"][
                "pending_records"
            ]
            == 0
        )
    )
    errors = httpx.get(f"{base}/errors", headers=headers).json()
    assert errors[0]["exception_type"] == "TimeoutError" and errors[0]["count"] == 1
    assert fresh["items"]


def test_loki_push_gzip_against_a_running_server(live_server: LiveServer) -> None:
    now = time.time_ns()
    body = {
        "streams": [
            {
                "stream": {"job": "nginx", "host": "web-1"},
                "values": [[str(now + i), f"GET /items/{i} 200 {i}ms"] for i in range(50)],
            }
        ]
    }
    response = httpx.post(
        f"{live_server.url}/loki/api/v1/push",
        content=gzip.compress(orjson.dumps(body)),
        headers={
            **live_server.ingest_headers,
            "content-type": "application/json",
            "content-encoding": "gzip",
        },
    )
    assert response.status_code == 204, response.text
    found = httpx.get(
        f"{live_server.url}/api/logs/search",
        params={"query": "host:web-1 service:nginx", "limit": 100},
        headers=live_server.admin_headers(),
    ).json()
    assert len(found["items"]) == 50


def test_sdk_logs_over_otlp_grpc(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    server = start_server(database_url, tmp_path / "server", {"SENTINEL_OTLP_GRPC_PORT": str(port)})
    try:
        provider = LoggerProvider(resource=Resource.create({"service.name": "grpc-svc"}))
        exporter = GrpcLogExporter(
            endpoint=f"127.0.0.1:{port}",
            insecure=True,
            headers={"authorization": f"Bearer {INGEST_KEY}"},
        )
        provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
        handler = LoggingHandler(level=logging.INFO, logger_provider=provider)
        logger = logging.getLogger("grpc.e2e")
        logger.propagate = False
        logger.addHandler(handler)
        try:
            logger.error("disk quota exceeded on volume %s", "vol-9")
            assert provider.force_flush(10_000)
        finally:
            logger.removeHandler(handler)
            provider.shutdown()
        found = httpx.get(
            f"{server.url}/api/logs/search",
            params={"query": "quota service:grpc-svc level:error"},
            headers=server.admin_headers(),
        ).json()
        assert [i["message"] for i in found["items"]] == ["disk quota exceeded on volume vol-9"]
    finally:
        stop_server(server)
