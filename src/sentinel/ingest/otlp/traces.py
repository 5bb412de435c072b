"""OTLP trace export requests (protobuf or OTLP JSON) to span rows.

The per-span work is the ingest budget: one pass, promoted columns picked out of the
attribute dict, the rest serialised once with orjson.
"""

from __future__ import annotations

from typing import Any

import orjson
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from sentinel.ingest.otlp.values import (
    BadRecord,
    OtlpFormatError,
    json_attributes,
    json_int64,
    pb_attributes,
)
from sentinel.tracing.records import SpanBatch
from sentinel.tracing.records import add_resource as _resource
from sentinel.tracing.records import add_span as _row

_KIND_BY_NAME = {
    "SPAN_KIND_UNSPECIFIED": 0,
    "SPAN_KIND_INTERNAL": 1,
    "SPAN_KIND_SERVER": 2,
    "SPAN_KIND_CLIENT": 3,
    "SPAN_KIND_PRODUCER": 4,
    "SPAN_KIND_CONSUMER": 5,
}
_STATUS_BY_NAME = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}


# ---------------------------------------------------------------------------- protobuf


def decode_protobuf(body: bytes) -> SpanBatch:
    """Decode an ExportTraceServiceRequest; raise OtlpFormatError if it is not one."""
    try:
        request = ExportTraceServiceRequest.FromString(body)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise OtlpFormatError(f"the body is not a valid OTLP protobuf trace export: {exc}") from exc
    return from_message(request)


def from_message(request: ExportTraceServiceRequest) -> SpanBatch:
    """Span rows from an already-parsed request (OTLP/HTTP protobuf and OTLP/gRPC)."""
    batch = SpanBatch()
    row = _row
    for resource_spans in request.resource_spans:
        resource_attrs = pb_attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope
            rid, service = _resource(batch, resource_attrs, scope.name, scope.version)
            for span in scope_spans.spans:
                status = span.status
                events = span.events
                links = span.links
                row(
                    batch,
                    span.trace_id.hex(),
                    span.span_id.hex(),
                    span.parent_span_id.hex(),
                    service,
                    span.name,
                    span.kind,
                    span.start_time_unix_nano,
                    span.end_time_unix_nano,
                    status.code,
                    status.message,
                    pb_attributes(span.attributes),
                    rid,
                    _pb_events(events) if events else None,
                    _pb_links(links) if links else None,
                )
    return batch


def _pb_events(events: Any) -> str:
    return orjson.dumps(
        [
            {"t": e.time_unix_nano, "name": e.name, "attributes": pb_attributes(e.attributes)}
            for e in events[:128]
        ]
    ).decode()


def _pb_links(links: Any) -> str:
    return orjson.dumps(
        [
            {
                "trace_id": link.trace_id.hex(),
                "span_id": link.span_id.hex(),
                "trace_state": link.trace_state,
                "attributes": pb_attributes(link.attributes),
            }
            for link in links[:128]
        ]
    ).decode()


# ---------------------------------------------------------------------------- OTLP JSON


def decode_json(body: bytes) -> SpanBatch:
    """Decode OTLP JSON (hex ids, int64 as strings or numbers, unknown fields ignored)."""
    try:
        document = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError as exc:
        raise OtlpFormatError(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise OtlpFormatError("the body must be a JSON object with 'resourceSpans'")
    resource_spans = document.get("resourceSpans")
    if resource_spans is None:
        resource_spans = []
    if not isinstance(resource_spans, list):
        raise OtlpFormatError("'resourceSpans' must be a list")
    batch = SpanBatch()
    for rs in resource_spans:
        if not isinstance(rs, dict):
            raise OtlpFormatError("each resourceSpans entry must be an object")
        scope_list = rs.get("scopeSpans") or []
        try:
            resource_attrs = json_attributes((rs.get("resource") or {}).get("attributes"))
            if not isinstance(scope_list, list):
                raise BadRecord("'scopeSpans' must be a list")
        except (BadRecord, AttributeError) as exc:
            batch.reject(f"resource: {exc}", _count_spans(scope_list))
            continue
        for ss in scope_list:
            spans = ss.get("spans") if isinstance(ss, dict) else None
            if not isinstance(spans, list):
                if spans is not None or not isinstance(ss, dict):
                    batch.reject("scopeSpans entry: 'spans' must be a list")
                continue
            scope = ss.get("scope") or {}
            if not isinstance(scope, dict):
                scope = {}
            rid, service = _resource(
                batch, resource_attrs, str(scope.get("name") or ""), str(scope.get("version") or "")
            )
            for span in spans:
                try:
                    _json_span(batch, span, service, rid)
                except (BadRecord, TypeError, AttributeError, ValueError) as exc:
                    batch.reject(f"span: {exc}")
    return batch


def _count_spans(scope_list: Any) -> int:
    if not isinstance(scope_list, list):
        return 1
    total = 0
    for ss in scope_list:
        spans = ss.get("spans") if isinstance(ss, dict) else None
        total += len(spans) if isinstance(spans, list) else 0
    return max(total, 1)


def _hex_id(raw: Any, what: str) -> str:
    if raw is None or raw == "":
        return ""
    if not isinstance(raw, str):
        raise BadRecord(f"{what} must be a hex string")
    text = raw.lower()
    try:
        bytes.fromhex(text)
    except ValueError as exc:
        raise BadRecord(f"{what} {raw!r} is not hex") from exc
    return text


def _enum(raw: Any, names: dict[str, int], what: str) -> int:
    if raw is None:
        return 0
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= max(names.values()):
        return raw
    if isinstance(raw, str) and raw in names:
        return names[raw]
    raise BadRecord(f"{what} {raw!r} is not a known value")


def _json_span(batch: SpanBatch, span: Any, service: str, rid: int) -> None:
    if not isinstance(span, dict):
        raise BadRecord("a span must be an object")
    trace_id = _hex_id(span.get("traceId"), "traceId")
    span_id = _hex_id(span.get("spanId"), "spanId")
    parent = _hex_id(span.get("parentSpanId"), "parentSpanId")
    name = span.get("name") or ""
    if not isinstance(name, str):
        raise BadRecord("name must be a string")
    status = span.get("status") or {}
    if not isinstance(status, dict):
        raise BadRecord("status must be an object")
    message = status.get("message") or ""
    events = span.get("events")
    links = span.get("links")
    _row(
        batch,
        trace_id,
        span_id,
        parent,
        service,
        name,
        _enum(span.get("kind"), _KIND_BY_NAME, "kind"),
        json_int64(span.get("startTimeUnixNano", 0), "startTimeUnixNano"),
        json_int64(span.get("endTimeUnixNano", 0), "endTimeUnixNano"),
        _enum(status.get("code"), _STATUS_BY_NAME, "status.code"),
        message if isinstance(message, str) else str(message),
        json_attributes(span.get("attributes")),
        rid,
        _json_events(events) if events else None,
        _json_links(links) if links else None,
    )


def _json_events(events: Any) -> str:
    if not isinstance(events, list):
        raise BadRecord("events must be a list")
    out = []
    for e in events[:128]:
        if not isinstance(e, dict):
            raise BadRecord("an event must be an object")
        out.append(
            {
                "t": json_int64(e.get("timeUnixNano", 0), "event timeUnixNano"),
                "name": str(e.get("name") or ""),
                "attributes": json_attributes(e.get("attributes")),
            }
        )
    return orjson.dumps(out).decode()


def _json_links(links: Any) -> str:
    if not isinstance(links, list):
        raise BadRecord("links must be a list")
    out = []
    for link in links[:128]:
        if not isinstance(link, dict):
            raise BadRecord("a link must be an object")
        trace_id = _hex_id(link.get("traceId"), "link traceId")
        span_id = _hex_id(link.get("spanId"), "link spanId")
        if len(trace_id) != 32 or len(span_id) != 16:
            raise BadRecord("a link needs a 16-byte traceId and an 8-byte spanId")
        out.append(
            {
                "trace_id": trace_id,
                "span_id": span_id,
                "trace_state": str(link.get("traceState") or ""),
                "attributes": json_attributes(link.get("attributes")),
            }
        )
    return orjson.dumps(out).decode()
