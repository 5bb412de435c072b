"""OTLP trace export requests (protobuf or OTLP JSON) to span rows.

The per-span work is the ingest budget: each span keeps its protobuf encoding (stored as
is), and only the promoted columns are read out of it; OTLP JSON spans are re-encoded to
the same protobuf form.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from google.protobuf.json_format import ParseDict, ParseError
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanMessage

from sentinel.ingest.otlp.values import (
    BadRecord,
    OtlpFormatError,
    json_attributes,
    json_int64,
    pb_attributes,
)
from sentinel.ingest.otlp.wire import ShallowRequest, ShallowSpan
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
    """Decode an ExportTraceServiceRequest; raise OtlpFormatError if it is not one.

    The full parse (in C) validates the whole message, UTF-8 included; the shallow one
    then gives each span's bytes and the few fields the columns need, so no Python object
    is made per attribute.
    """
    try:
        ExportTraceServiceRequest.FromString(body)
        request = ShallowRequest.FromString(body)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise OtlpFormatError(f"the body is not a valid OTLP protobuf trace export: {exc}") from exc
    batch = SpanBatch()
    row = _row
    parse_span = ShallowSpan.FromString
    for resource_spans in request.resource_spans:
        resource = Resource.FromString(resource_spans.resource)
        resource_attrs = pb_attributes(resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope
            rid, service = _resource(batch, resource_attrs, scope.name, scope.version)
            for raw in scope_spans.spans:
                span = parse_span(raw)
                status = span.status
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
                    rid,
                    raw,
                )
    return batch


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


_SPAN_JSON_FIELDS = (
    "traceId",
    "spanId",
    "traceState",
    "parentSpanId",
    "flags",
    "name",
    "kind",
    "startTimeUnixNano",
    "endTimeUnixNano",
    "attributes",
    "droppedAttributesCount",
    "events",
    "droppedEventsCount",
    "links",
    "droppedLinksCount",
    "status",
)


def _base64_id(raw: Any, what: str) -> str:
    return base64.b64encode(bytes.fromhex(_hex_id(raw, what))).decode()


def _json_payload(span: dict[str, Any]) -> bytes:
    """The span's protobuf encoding, as stored for protobuf exports."""
    clean = {k: span[k] for k in _SPAN_JSON_FIELDS if k in span and span[k] is not None}
    for key in ("traceId", "spanId", "parentSpanId"):
        if key in clean:
            clean[key] = _base64_id(clean[key], key)
    links = clean.get("links")
    if isinstance(links, list):
        clean["links"] = [
            {
                **link,
                "traceId": _base64_id(link.get("traceId"), "link traceId"),
                "spanId": _base64_id(link.get("spanId"), "link spanId"),
            }
            if isinstance(link, dict)
            else link
            for link in links
        ]
    try:
        message = ParseDict(clean, SpanMessage(), ignore_unknown_fields=True)
    except (ParseError, TypeError, ValueError, AttributeError) as exc:
        raise BadRecord(str(exc).split("\n")[0][:300]) from exc
    return bytes(message.SerializeToString())


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
    kind = _enum(span.get("kind"), _KIND_BY_NAME, "kind")
    code = _enum(status.get("code"), _STATUS_BY_NAME, "status.code")
    start = json_int64(span.get("startTimeUnixNano", 0), "startTimeUnixNano")
    end = json_int64(span.get("endTimeUnixNano", 0), "endTimeUnixNano")
    if not 0 <= start < 2**64 or not 0 <= end < 2**64:
        raise BadRecord("times must be unsigned 64-bit nanoseconds")
    if span.get("attributes") is not None and not isinstance(span["attributes"], list):
        raise BadRecord("attributes must be a list of {key, value} objects")
    _row(
        batch,
        trace_id,
        span_id,
        parent,
        service,
        name,
        kind,
        start,
        end,
        code,
        message if isinstance(message, str) else str(message),
        rid,
        _json_payload(span),
    )
