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
    MAX_RECORDS_PER_REQUEST,
    MAX_SERVICE_CHARS,
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


def from_message(request: ExportLogsServiceRequest) -> LogBatch:
    """Log rows from an already-parsed request (OTLP/HTTP protobuf and OTLP/gRPC)."""
    batch = LogBatch()
    rows = batch.rows
    append = rows.append
    dumps = orjson.dumps
    by_number = _BY_NUMBER
    check_time = batch.check_time
    for resource_logs in request.resource_logs:
        resource_attrs = pb_attributes(resource_logs.resource.attributes)
        service = _service(resource_attrs)
        batch.services.add(service)
        resource_json = dumps(resource_attrs).decode()
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                if len(rows) >= MAX_RECORDS_PER_REQUEST:
                    batch.reject(f"more than {MAX_RECORDS_PER_REQUEST} records in one request")
                    continue
                times = check_time(record.time_unix_nano, record.observed_time_unix_nano)
                if isinstance(times, str):
                    batch.reject(times)
                    continue
                number = record.severity_number
                if 1 <= number <= 24:
                    level = by_number[number]
                else:
                    level = severity.normalize(None, record.severity_text)
                value = record.body
                text = value.string_value
                if not text and value.WhichOneof("value") not in (None, "string_value"):
                    text = dumps(_pb_value(value)).decode()
                trace_id = record.trace_id
                span_id = record.span_id
                attrs = record.attributes
                append(
                    (
                        times[0],
                        times[1],
                        service,
                        level[0],
                        level[1],
                        batch.body(text),
                        trace_id.hex() if len(trace_id) == 16 else "",
                        span_id.hex() if len(span_id) == 8 else "",
                        dumps(pb_attributes(attrs)).decode() if attrs else _EMPTY,
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
