"""OTLP log export requests (protobuf or OTLP JSON) to log rows.

The per-record work is the ingest budget: hot columns picked out in one pass, the
attributes serialised once with orjson, the resource's JSON built once per resource.
"""

from __future__ import annotations

from typing import Any

import orjson
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from sentinel.ingest.otlp.values import (
    MAX_ATTRIBUTES,
    MAX_VALUE_CHARS,
    BadRecord,
    OtlpFormatError,
    _json_value,
    _pb_value,
    json_attributes,
    json_int64,
    pb_attributes,
)
from sentinel.logs import severity
from sentinel.logs.records import (
    MAX_BODY_CHARS,
    MAX_FUTURE_NS,
    MAX_RECORDS_PER_REQUEST,
    MAX_SERVICE_CHARS,
    MIN_TIME_NS,
    UNKNOWN_SERVICE,
    LogBatch,
)

_EMPTY = "{}"


def _service(attributes: dict[str, Any]) -> str:
    service = attributes.get("service.name")
    if not isinstance(service, str) or not service:
        return UNKNOWN_SERVICE
    return service[:MAX_SERVICE_CHARS]


def _levels() -> list[tuple[int, str]]:
    return [severity.normalize(n) for n in range(25)]


_BY_NUMBER = _levels()


# ---------------------------------------------------------------------------- protobuf


def decode_protobuf(body: bytes) -> LogBatch:
    """Decode an ExportLogsServiceRequest; raise OtlpFormatError if it is not one."""
    try:
        request = ExportLogsServiceRequest.FromString(body)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise OtlpFormatError(f"the body is not a valid OTLP protobuf logs export: {exc}") from exc
    return from_message(request)


def _attributes_json(attrs: Any) -> str:
    """Attributes as JSON text; the common all-strings case skips the general decoder."""
    if len(attrs) > MAX_ATTRIBUTES:
        return orjson.dumps(pb_attributes(attrs)).decode()
    out: dict[str, Any] = {}
    for kv in attrs:
        value = kv.value
        text = value.string_value
        out[kv.key] = text if text else _pb_value(value)
    encoded = orjson.dumps(out)
    if len(encoded) > MAX_VALUE_CHARS:
        # Possibly an over-long value: the general decoder cuts it.
        return orjson.dumps(pb_attributes(attrs)).decode()
    return encoded.decode()


def from_message(request: ExportLogsServiceRequest) -> LogBatch:
    """Log rows from an already-parsed request (OTLP/HTTP protobuf and OTLP/gRPC).

    The hot loop: about a dozen field reads per record, the time check inlined, the
    resource's JSON built once per resource."""
    batch = LogBatch()
    rows = batch.rows
    append = rows.append
    by_number = _BY_NUMBER
    now = batch.now_ns
    latest = now + MAX_FUTURE_NS
    attributes_json = _attributes_json
    for resource_logs in request.resource_logs:
        resource_attrs = pb_attributes(resource_logs.resource.attributes)
        service = _service(resource_attrs)
        batch.services.add(service)
        resource_json = orjson.dumps(resource_attrs).decode()
        for scope_logs in resource_logs.scope_logs:
            records = scope_logs.log_records
            room = MAX_RECORDS_PER_REQUEST - len(rows)
            if len(records) > room:
                batch.reject(
                    f"more than {MAX_RECORDS_PER_REQUEST} records in one request",
                    len(records) - max(room, 0),
                )
                records = records[: max(room, 0)]
            for record in records:
                observed = record.observed_time_unix_nano or now
                at = record.time_unix_nano or observed
                if at < MIN_TIME_NS or at > latest:
                    batch.reject(f"timestamp {at} ns is before 2000 or more than a day ahead")
                    continue
                number = record.severity_number
                level = (
                    by_number[number]
                    if 0 < number <= 24
                    else severity.normalize(None, record.severity_text)
                )
                value = record.body
                text = value.string_value
                if not text:
                    if value.WhichOneof("value") not in (None, "string_value"):
                        text = orjson.dumps(_pb_value(value)).decode()
                elif len(text) > MAX_BODY_CHARS:
                    text = batch.body(text)
                trace_id = record.trace_id
                span_id = record.span_id
                attrs = record.attributes
                append(
                    (
                        at,
                        observed,
                        service,
                        level[0],
                        level[1],
                        text,
                        trace_id.hex() if len(trace_id) == 16 else "",
                        span_id.hex() if len(span_id) == 8 else "",
                        attributes_json(attrs) if attrs else _EMPTY,
                        resource_json,
                    )
                )
    return batch


# ---------------------------------------------------------------------------- OTLP JSON


def decode_json(body: bytes) -> LogBatch:
    """Decode OTLP JSON (hex ids, int64 as strings or numbers, unknown fields ignored)."""
    try:
        document = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError as exc:
        raise OtlpFormatError(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise OtlpFormatError("the body must be a JSON object with 'resourceLogs'")
    resource_logs = document.get("resourceLogs") or []
    if not isinstance(resource_logs, list):
        raise OtlpFormatError("'resourceLogs' must be a list")
    batch = LogBatch()
    for rl in resource_logs:
        if not isinstance(rl, dict):
            raise OtlpFormatError("each resourceLogs entry must be an object")
        scope_list = rl.get("scopeLogs") or []
        try:
            resource_attrs = json_attributes((rl.get("resource") or {}).get("attributes"))
            if not isinstance(scope_list, list):
                raise BadRecord("'scopeLogs' must be a list")
        except (BadRecord, AttributeError) as exc:
            batch.reject(f"resource: {exc}", max(1, _count(scope_list)))
            continue
        service = _service(resource_attrs)
        batch.services.add(service)
        resource_json = orjson.dumps(resource_attrs).decode()
        for sl in scope_list:
            records = sl.get("logRecords") if isinstance(sl, dict) else None
            if not isinstance(records, list):
                if records is not None or not isinstance(sl, dict):
                    batch.reject("scopeLogs entry: 'logRecords' must be a list")
                continue
            for record in records:
                if batch.over_limit():
                    batch.reject(f"more than {MAX_RECORDS_PER_REQUEST} records in one request")
                    continue
                try:
                    _json_record(batch, record, service, resource_json)
                except (BadRecord, TypeError, AttributeError, ValueError) as exc:
                    batch.reject(f"logRecord: {exc}")
    return batch


def _count(scope_list: Any) -> int:
    if not isinstance(scope_list, list):
        return 1
    return sum(
        len(sl["logRecords"])
        for sl in scope_list
        if isinstance(sl, dict) and isinstance(sl.get("logRecords"), list)
    )


def _hex_id(raw: Any, width: int, what: str) -> str:
    if raw is None or raw == "":
        return ""
    if not isinstance(raw, str):
        raise BadRecord(f"{what} must be a hex string")
    text = raw.lower()
    try:
        bytes.fromhex(text)
    except ValueError as exc:
        raise BadRecord(f"{what} {raw!r} is not hex") from exc
    if len(text) != width:
        raise BadRecord(f"{what} must be {width // 2} bytes")
    return "" if text == "0" * width else text


def _json_record(batch: LogBatch, record: Any, service: str, resource_json: str) -> None:
    if not isinstance(record, dict):
        raise BadRecord("a log record must be an object")
    times = batch.check_time(
        json_int64(record.get("timeUnixNano", 0), "timeUnixNano"),
        json_int64(record.get("observedTimeUnixNano", 0), "observedTimeUnixNano"),
    )
    if isinstance(times, str):
        raise BadRecord(times)
    raw_number = record.get("severityNumber")
    number: Any = raw_number
    if isinstance(raw_number, str):
        number = severity.parse_level_name(raw_number)
    level = severity.normalize(number, record.get("severityText"))
    body = record.get("body")
    if body is None:
        text = ""
    else:
        value = _json_value(body)
        text = value if isinstance(value, str) else orjson.dumps(value).decode()
    attrs = json_attributes(record.get("attributes"))
    batch.rows.append(
        (
            times[0],
            times[1],
            service,
            level[0],
            level[1],
            batch.body(text),
            _hex_id(record.get("traceId"), 32, "traceId"),
            _hex_id(record.get("spanId"), 16, "spanId"),
            orjson.dumps(attrs).decode() if attrs else _EMPTY,
            resource_json,
        )
    )
