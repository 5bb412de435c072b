"""The real OpenTelemetry Python SDK (OTLP/HTTP and OTLP/gRPC exporters) against a running
server; the trace is read back through the REST and Jaeger APIs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpSpanExporter,
)
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource as PbResource
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from tests.conftest import INGEST_KEY
from tests.e2e.conftest import LiveServer, free_port, start_server, stop_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def grpc_server(database_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, int]]:
    port = free_port()
    server = start_server(database_url, tmp_path / "server", {"SENTINEL_OTLP_GRPC_PORT": str(port)})
    try:
        yield server, port
    finally:
        stop_server(server)


def provider(service: str, exporter: SpanExporter) -> TracerProvider:
    tp = TracerProvider(resource=Resource.create({"service.name": service, "team": "payments"}))
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    return tp


def test_sdk_trace_over_http_and_grpc_reads_back(grpc_server: tuple[LiveServer, int]) -> None:
    server, grpc_port = grpc_server
    auth = {"authorization": f"Bearer {INGEST_KEY}"}
    http_exporter = HttpSpanExporter(endpoint=f"{server.url}/v1/traces", headers=auth)
    frontend = provider("frontend", http_exporter)
    checkout = provider("checkout", HttpSpanExporter(endpoint=f"{server.url}/v1/traces",
                                                     headers=auth))  # fmt: skip
    payments = provider(
        "payments",
        GrpcSpanExporter(endpoint=f"127.0.0.1:{grpc_port}", insecure=True, headers=auth),
    )
    # SimpleSpanProcessor exports each span when it ends: children reach the server before
    # their parents, as they do from real services.
    with (
        frontend.get_tracer("web").start_as_current_span(
            "GET /buy", kind=SpanKind.SERVER, attributes={"http.request.method": "GET"}
        ) as root,
        frontend.get_tracer("web").start_as_current_span(
            "POST checkout", kind=SpanKind.CLIENT, attributes={"peer.service": "checkout"}
        ) as call,
    ):
        ctx = trace.set_span_in_context(call)
        with checkout.get_tracer("api").start_as_current_span(
            "POST /checkout", context=ctx, kind=SpanKind.SERVER, attributes={"cart.items": 3}
        ) as handler:
            with checkout.get_tracer("api").start_as_current_span(
                "charge", kind=SpanKind.CLIENT
            ) as charge_call:
                pay_ctx = trace.set_span_in_context(charge_call)
                with payments.get_tracer("grpc").start_as_current_span(
                    "Charge", context=pay_ctx, kind=SpanKind.SERVER
                ) as charge:
                    charge.set_status(Status(StatusCode.ERROR, "card declined"))
                    charge.set_attribute("payment.amount", 12.5)
            handler.set_status(Status(StatusCode.ERROR, "payment failed"))
    for tp in (payments, checkout, frontend):
        tp.force_flush()
        tp.shutdown()

    trace_id = format(root.get_span_context().trace_id, "032x")
    ids = {
        name: format(span.get_span_context().span_id, "016x")
        for name, span in {
            "root": root,
            "call": call,
            "handler": handler,
            "charge_call": charge_call,
            "charge": charge,
        }.items()
    }
    headers = server.admin_headers()
    view = httpx.get(f"{server.url}/api/tracing/traces/{trace_id}", headers=headers)
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["span_count"] == 5 and body["error_count"] == 2
    assert body["services"] == {"checkout": 2, "frontend": 2, "payments": 1}
    (root_node,) = body["roots"]
    assert root_node["span_id"] == ids["root"] and root_node["service"] == "frontend"
    call_node = root_node["children"][0]
    handler_node = call_node["children"][0]
    charge_node = handler_node["children"][0]["children"][0]
    assert call_node["span_id"] == ids["call"]
    assert handler_node["span_id"] == ids["handler"]
    assert handler_node["parent_span_id"] == ids["call"]
    assert handler_node["attributes"] == {"cart.items": 3}
    assert handler_node["status"] == "error" and handler_node["status_message"] == "payment failed"
    assert charge_node["span_id"] == ids["charge"] and charge_node["service"] == "payments"
    assert charge_node["attributes"] == {"payment.amount": 12.5}
    assert charge_node["resource"]["team"] == "payments"
    assert charge_node["status_message"] == "card declined"

    jaeger = httpx.get(f"{server.url}/jaeger/api/traces/{trace_id}", headers=headers).json()
    (jtrace,) = jaeger["data"]
    spans = {s["spanID"]: s for s in jtrace["spans"]}
    assert set(spans) == set(ids.values())
    assert spans[ids["charge"]]["references"] == [
        {"refType": "CHILD_OF", "traceID": trace_id, "spanID": ids["charge_call"]}
    ]
    assert jtrace["processes"][spans[ids["charge"]]["processID"]]["serviceName"] == "payments"
    charge_tags = {t["key"]: t["value"] for t in spans[ids["charge"]]["tags"]}
    assert charge_tags["error"] is True and charge_tags["payment.amount"] == 12.5

    graph = httpx.get(f"{server.url}/api/tracing/dependencies", headers=headers).json()
    edges = {(e["caller"], e["callee"], e["traced"]): e for e in graph["edges"]}
    assert ("frontend", "checkout", True) in edges
    assert edges[("checkout", "payments", True)]["error_count"] == 1
    deps = httpx.get(
        f"{server.url}/api/tracing/services/checkout/dependencies", headers=headers
    ).json()
    assert [e["caller"] for e in deps["upstream"]] == ["frontend"]
    assert [e["callee"] for e in deps["downstream"]] == ["payments"]
    jdeps = httpx.get(f"{server.url}/jaeger/api/dependencies", headers=headers).json()
    assert {"parent": "checkout", "child": "payments", "callCount": 1} in jdeps["data"]

    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'sentinel_trace_spans_total{operation="Charge",service="payments"} 1.0' in metrics
    assert 'sentinel_trace_span_errors_total{operation="Charge",service="payments"} 1.0' in metrics


def test_grpc_export_needs_an_ingest_key(grpc_server: tuple[LiveServer, int]) -> None:
    server, grpc_port = grpc_server
    exporter = GrpcSpanExporter(
        endpoint=f"127.0.0.1:{grpc_port}",
        insecure=True,
        headers={"authorization": "Bearer snt_wrong_key_wrong_key_000000"},
        timeout=5,
    )
    tp = provider("intruder", exporter)
    with tp.get_tracer("x").start_as_current_span("nope"):
        pass
    tp.force_flush()
    tp.shutdown()
    headers = server.admin_headers()
    assert httpx.get(f"{server.url}/api/tracing/services", headers=headers).json() == []


def test_grpc_bad_bodies_keys_and_partial_success_for_both_signals(
    grpc_server: tuple[LiveServer, int],
) -> None:
    """Raw gRPC calls (as a misbehaving client would make them) to TraceService and
    LogsService: a body that is not protobuf is INVALID_ARGUMENT, no key UNAUTHENTICATED,
    and a logs export with one record from 2099 stores the other and counts it rejected."""
    server, port = grpc_server
    key = [("authorization", f"Bearer {INGEST_KEY}")]
    now = time.time_ns()
    logs = ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=PbResource(
                    attributes=[KeyValue(key="service.name", value=AnyValue(string_value="raw"))]
                ),
                scope_logs=[
                    ScopeLogs(
                        log_records=[
                            LogRecord(time_unix_nano=now, body=AnyValue(string_value="kept")),
                            LogRecord(time_unix_nano=4_070_908_800 * 10**9),  # 2099
                        ]
                    )
                ],
            )
        ]
    )
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        for signal in ("trace.v1.TraceService", "logs.v1.LogsService"):
            export = channel.unary_unary(f"/opentelemetry.proto.collector.{signal}/Export")
            with pytest.raises(grpc.RpcError) as bad:
                export(b"\x0a\xff\xff\xff", metadata=key, timeout=10)
            assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT, signal
            with pytest.raises(grpc.RpcError) as anonymous:
                export(logs.SerializeToString(), timeout=10)
            assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED, signal
        export_logs = channel.unary_unary(
            "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
            response_deserializer=ExportLogsServiceResponse.FromString,
        )
        answer = export_logs(logs.SerializeToString(), metadata=key, timeout=10)
    assert answer.partial_success.rejected_log_records == 1
    assert answer.partial_success.error_message
    found = httpx.get(
        f"{server.url}/api/logs/search",
        params={"query": "service:raw", "limit": 10},
        headers=server.admin_headers(),
    ).json()
    assert [i["message"] for i in found["items"]] == ["kept"]
