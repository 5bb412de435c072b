"""Realistic log batches for the log benchmarks: OTLP protobuf and the brief's JSON."""

from __future__ import annotations

import random
from typing import Any

import orjson
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

SERVICES = ("checkout", "payments", "search", "api-gateway", "inventory")
TEMPLATES = (
    (9, "GET /api/orders/{n} served in {m} ms"),
    (9, "user {n} added item {m} to cart"),
    (9, "cache hit ratio {n}% over the last {m} s"),
    (5, "connection pool stats: active={n} idle={m}"),
    (13, "slow query took {m} ms on shard {n}"),
    (13, "retrying request {n} after {m} ms backoff"),
    (17, "payment {n} declined: upstream timeout after {m} ms"),
    (17, "connection reset by peer while reading from 10.0.{n}.{m}"),
    (21, "out of memory in worker {n}, heap {m} MB"),
)
WEIGHTS = (30, 20, 10, 10, 8, 8, 6, 6, 2)
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")


def lines(count: int, seed: int = 1) -> list[tuple[int, str, str, dict[str, Any], bool]]:
    """(severity number, message, service, attributes, traced) tuples."""
    rng = random.Random(seed)
    picks = rng.choices(range(len(TEMPLATES)), WEIGHTS, k=count)
    out = []
    for k in picks:
        number, template = TEMPLATES[k]
        message = template.format(n=rng.randrange(1000), m=rng.randrange(10000))
        if rng.random() < 0.05:
            message += " " + rng.choice(WORDS) + str(rng.randrange(100))
        attrs = {"http.method": "GET", "region": "eu-1", "request.id": f"r{rng.randrange(10**9)}"}
        out.append((number, message, rng.choice(SERVICES), attrs, rng.random() < 0.3))
    return out


def otlp_request(batch: list[tuple[int, str, str, dict[str, Any], bool]], start_ns: int) -> bytes:
    by_service: dict[str, list[LogRecord]] = {}
    rng = random.Random(start_ns)
    for i, (number, message, service, attrs, traced) in enumerate(batch):
        record = LogRecord(
            time_unix_nano=start_ns + i,
            observed_time_unix_nano=start_ns + i,
            severity_number=number,
            body=AnyValue(string_value=message),
            attributes=[KeyValue(key=k, value=AnyValue(string_value=v)) for k, v in attrs.items()],
        )
        if traced:
            record.trace_id = rng.randbytes(16)
            record.span_id = rng.randbytes(8)
        by_service.setdefault(service, []).append(record)
    request = ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=Resource(
                    attributes=[
                        KeyValue(key="service.name", value=AnyValue(string_value=service)),
                        KeyValue(key="host.name", value=AnyValue(string_value="bench-1")),
                    ]
                ),
                scope_logs=[ScopeLogs(log_records=records)],
            )
            for service, records in by_service.items()
        ]
    )
    return request.SerializeToString()


_LEVELS = {5: "DEBUG", 9: "INFO", 13: "WARN", 17: "ERROR", 21: "FATAL"}


def json_request(batch: list[tuple[int, str, str, dict[str, Any], bool]], start_ns: int) -> bytes:
    rng = random.Random(start_ns)
    records = []
    for i, (number, message, service, attrs, traced) in enumerate(batch):
        record: dict[str, Any] = {
            "timestamp": start_ns + i,
            "service_name": service,
            "level": _LEVELS[number],
            "message": message,
            "attributes": attrs,
        }
        if traced:
            record["trace_id"] = rng.randbytes(16).hex()
            record["span_id"] = rng.randbytes(8).hex()
        records.append(record)
    return orjson.dumps(records)
