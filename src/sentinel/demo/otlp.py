"""The demo's records as OTLP/HTTP protobuf export requests (what an SDK would send, with
the demo's own timestamps). Pure."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TypeVar

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from sentinel.demo.records import SEVERITY, LogRecord, SpanRecord
from sentinel.demo.topology import SERVICES, AttrValue

SCOPE_VERSION = "0.52b0"
T = TypeVar("T")


def _value(value: AttrValue) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    return AnyValue(string_value=value)


def attributes(values: Mapping[str, AttrValue]) -> list[KeyValue]:
    return [KeyValue(key=k, value=_value(v)) for k, v in values.items()]


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def trace_requests(spans: Sequence[SpanRecord], max_spans: int = 2000) -> Iterator[bytes]:
    """Serialized ExportTraceServiceRequests of at most `max_spans` spans each, one
    ResourceSpans per service instance."""
    for chunk in _chunks(spans, max_spans):
        request = ExportTraceServiceRequest()
        by_resource: dict[tuple[str, int], list[SpanRecord]] = {}
        for span in chunk:
            by_resource.setdefault((span.service, span.instance), []).append(span)
        for (name, instance), group in by_resource.items():
            service = SERVICES[name]
            resource_spans = request.resource_spans.add()
            resource_spans.resource.attributes.extend(attributes(service.resource(instance)))
            scope_spans = resource_spans.scope_spans.add()
            scope_spans.scope.name = service.scope
            scope_spans.scope.version = SCOPE_VERSION
            for s in group:
                out = scope_spans.spans.add(
                    trace_id=s.trace_id,
                    span_id=s.span_id,
                    parent_span_id=s.parent_id,
                    name=s.name,
                    kind=s.kind,
                    start_time_unix_nano=s.start_ns,
                    end_time_unix_nano=s.end_ns,
                )
                out.attributes.extend(attributes(s.attributes))
                if s.error is not None:
                    out.status.code = Status.STATUS_CODE_ERROR
                    out.status.message = s.error
                for event in s.events:
                    added = out.events.add(name=event.name, time_unix_nano=event.time_ns)
                    added.attributes.extend(attributes(event.attributes))
        yield request.SerializeToString()


def log_requests(logs: Sequence[LogRecord], max_records: int = 5000) -> Iterator[bytes]:
    """Serialized ExportLogsServiceRequests, one ResourceLogs per service instance."""
    for chunk in _chunks(logs, max_records):
        request = ExportLogsServiceRequest()
        by_resource: dict[tuple[str, int], list[LogRecord]] = {}
        for record in chunk:
            by_resource.setdefault((record.service, record.instance), []).append(record)
        for (name, instance), group in by_resource.items():
            service = SERVICES[name]
            resource_logs = request.resource_logs.add()
            resource_logs.resource.attributes.extend(attributes(service.resource(instance)))
            scope_logs = resource_logs.scope_logs.add()
            scope_logs.scope.name = f"{name}.log"
            for r in group:
                out = scope_logs.log_records.add(
                    time_unix_nano=r.time_ns,
                    observed_time_unix_nano=r.time_ns,
                    severity_number=SEVERITY[r.level],
                    severity_text=r.level,
                    trace_id=r.trace_id,
                    span_id=r.span_id,
                )
                out.body.string_value = r.body
                out.attributes.extend(attributes(r.attributes))
        yield request.SerializeToString()
