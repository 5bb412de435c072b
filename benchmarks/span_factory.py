"""Realistic OTLP trace batches for benchmarks: a few services, ~10 attributes per span."""

from __future__ import annotations

import os
import random
import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

SERVICES = ["frontend", "checkout", "payments", "inventory", "users"]
ROUTES = ["/api/cart", "/api/checkout", "/api/pay", "/api/items/{id}", "/api/users/{id}"]


def _kv(key: str, value: object) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def build_request(
    spans_per_request: int,
    rng: random.Random,
    marker: bytes | None = None,
    now_ns: int | None = None,
) -> bytes:
    """One export request: traces of 5 spans across services, grouped per service.

    With `marker` (8 bytes), every trace id starts with it, and every start/end time lies
    in one 2**32 ns block (its upper 4 bytes, little-endian fixed64, are `time_marker(t)`),
    so a sender can make a batch new, ids and times, with two `bytes.replace` calls instead
    of re-encoding it.
    """
    by_service: dict[str, list[Span]] = {s: [] for s in SERVICES}
    now = now_ns or time.time_ns()
    block = now >> 32 << 32 if marker else 0
    while sum(len(v) for v in by_service.values()) < spans_per_request:
        trace_id = (marker + os.urandom(8)) if marker else os.urandom(16)
        parent = b""
        start = block + rng.randint(0, 2**31) if marker else now - rng.randint(0, 50 * 10**9)
        for depth, service in enumerate(SERVICES):
            span_id = os.urandom(8)
            duration = min(int(rng.lognormvariate(16, 1)), 2**31 - 10_000)
            error = rng.random() < 0.02
            route = ROUTES[depth]
            attrs = [
                _kv("http.request.method", "GET" if depth % 2 else "POST"),
                _kv("http.route", route),
                _kv("http.response.status_code", 500 if error else 200),
                _kv("url.path", route.replace("{id}", str(rng.randint(1, 10000)))),
                _kv("server.address", f"{service}.internal"),
                _kv("server.port", 8080),
                _kv("network.protocol.version", "1.1"),
                _kv("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) bench"),
                _kv("app.customer_id", f"cust-{rng.randint(1, 100000)}"),
                _kv("app.feature_flag", rng.random() < 0.5),
            ]
            by_service[service].append(
                Span(
                    trace_id=trace_id,
                    span_id=span_id,
                    parent_span_id=parent,
                    name=f"{'GET' if depth % 2 else 'POST'} {route}",
                    kind=Span.SpanKind.SPAN_KIND_SERVER,
                    start_time_unix_nano=start + depth * 1000,
                    end_time_unix_nano=start + depth * 1000 + duration,
                    attributes=attrs,
                    status=Status(code=Status.StatusCode.STATUS_CODE_ERROR if error else 0),
                )
            )
            parent = span_id
    request = ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(
                    attributes=[
                        _kv("service.name", service),
                        _kv("service.version", "1.4.2"),
                        _kv("deployment.environment", "prod"),
                        _kv("host.name", f"{service}-7d9f-1"),
                    ]
                ),
                scope_spans=[
                    ScopeSpans(
                        scope=InstrumentationScope(name="opentelemetry.instrumentation.http"),
                        spans=spans,
                    )
                ],
            )
            for service, spans in by_service.items()
            if spans
        ]
    )
    return request.SerializeToString()


def time_marker(block_ns: int) -> bytes:
    """The upper 4 bytes of a fixed64 time in the 2**32 ns block of `block_ns`."""
    return (block_ns >> 32).to_bytes(4, "little")
