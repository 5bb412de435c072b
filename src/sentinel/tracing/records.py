"""The span record that ingest produces and the store writes: a plain tuple, for speed.

A tuple per span (not an object) keeps the hot path cheap: the decoder builds it in one
expression and the store hands the list straight to the driver's executemany.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from sentinel.tracing.payload import MAX_PAYLOAD_BYTES, key_marker, value_at

# Column order of a span row (the INSERT uses the same order).
SPAN_COLUMNS: tuple[str, ...] = (
    "trace_id",
    "span_id",
    "parent_span_id",
    "service",
    "name",
    "kind",
    "start_ns",
    "duration_ns",
    "status_code",
    "status_message",
    "http_method",
    "http_route",
    "http_status_code",
    "db_system",
    "peer_service",
    "is_error",
    "resource_id",
    "payload",
)
(
    TRACE_ID,
    SPAN_ID,
    PARENT_ID,
    SERVICE,
    NAME,
    KIND,
    START,
    DURATION,
    STATUS,
    STATUS_MESSAGE,
    HTTP_METHOD,
    HTTP_ROUTE,
    HTTP_STATUS,
    DB_SYSTEM,
    PEER,
    IS_ERROR,
    RESOURCE_ID,
    PAYLOAD,
) = range(len(SPAN_COLUMNS))

SpanRow = tuple[Any, ...]

# OTLP SpanKind numbers.
KIND_UNSPECIFIED, KIND_INTERNAL, KIND_SERVER, KIND_CLIENT, KIND_PRODUCER, KIND_CONSUMER = range(6)
KIND_NAMES = ("unspecified", "internal", "server", "client", "producer", "consumer")
STATUS_UNSET, STATUS_OK, STATUS_ERROR = 0, 1, 2
STATUS_NAMES = ("unset", "ok", "error")


@dataclass
class ResourceRow:
    id: int
    service: str
    attributes: str  # JSON text
    scope_name: str
    scope_version: str


@dataclass
class SpanBatch:
    """What one export request decoded to: good rows, their resources, and the rejects."""

    rows: list[SpanRow] = field(default_factory=list)
    resources: dict[int, ResourceRow] = field(default_factory=dict)
    rejected: int = 0
    problems: list[str] = field(default_factory=list)

    def reject(self, message: str, count: int = 1) -> None:
        self.rejected += count
        if len(self.problems) < 5:
            self.problems.append(message)


UNKNOWN_SERVICE = "unknown_service"
MAX_NAME_CHARS = 255
MAX_MESSAGE_CHARS = 8192
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16
_MAX_INT64 = 2**63


def add_resource(
    batch: SpanBatch, attributes: dict[str, Any], scope_name: str, scope_version: str
) -> tuple[int, str]:
    service = attributes.get("service.name")
    if not isinstance(service, str) or not service:
        service = UNKNOWN_SERVICE
    service = service[:MAX_NAME_CHARS]
    text = orjson.dumps(attributes).decode()
    digest = hashlib.blake2b(
        f"{text}\x00{scope_name}\x00{scope_version}".encode(), digest_size=8
    ).digest()
    rid = int.from_bytes(digest, "big") >> 1  # 63 bits: fits a signed BIGINT
    if rid not in batch.resources:
        batch.resources[rid] = ResourceRow(rid, service, text, scope_name, scope_version)
    return rid, service


_METHOD = (key_marker("http.request.method"), key_marker("http.method"))
_STATUS_CODE = (key_marker("http.response.status_code"), key_marker("http.status_code"))
_ROUTE = key_marker("http.route")
_DB_SYSTEM = (key_marker("db.system"), key_marker("db.system.name"))
_PEER = key_marker("peer.service")
_PEER_FALLBACK = (key_marker("server.address"), key_marker("net.peer.name"))


def _first(payload: bytes, markers: tuple[bytes, ...]) -> Any:
    for marker in markers:
        value = value_at(payload, marker)
        if value is not None:
            return value
    return None


def add_span(
    batch: SpanBatch,
    trace_id: str,
    span_id: str,
    parent_id: str,
    service: str,
    name: str,
    kind: int,
    start: int,
    end: int,
    status: int,
    status_message: str,
    rid: int,
    payload: bytes,
) -> None:
    """Validate one span and append its row; `payload` is its OTLP Span encoding, from
    which the promoted attributes are read."""
    if len(trace_id) != 32 or trace_id == _ZERO_TRACE:
        batch.reject(f"span {span_id or '?'}: traceId must be 16 bytes and not all zero")
        return
    if len(span_id) != 16 or span_id == _ZERO_SPAN:
        batch.reject(f"trace {trace_id}: spanId must be 8 bytes and not all zero")
        return
    if parent_id and (len(parent_id) != 16 or parent_id == _ZERO_SPAN):
        if parent_id == _ZERO_SPAN:
            parent_id = ""
        else:
            batch.reject(f"span {span_id}: parentSpanId must be empty or 8 bytes")
            return
    if kind > 5:
        kind = 0  # an unknown kind from a newer protocol version
    if status > 2:
        status = 0
    if start <= 0 or end < start or end >= _MAX_INT64:
        batch.reject(f"span {span_id}: needs 0 < startTimeUnixNano <= endTimeUnixNano < 2**63")
        return
    if len(payload) > MAX_PAYLOAD_BYTES:
        batch.reject(f"span {span_id}: larger than {MAX_PAYLOAD_BYTES} bytes encoded")
        return
    method = _first(payload, _METHOD)
    code = _first(payload, _STATUS_CODE)
    peer = value_at(payload, _PEER)
    if not peer and kind in (KIND_CLIENT, KIND_PRODUCER):
        peer = _first(payload, _PEER_FALLBACK)
    batch.rows.append(
        (
            trace_id,
            span_id,
            parent_id,
            service,
            name[:MAX_NAME_CHARS],
            kind,
            start,
            end - start,
            status,
            status_message[:MAX_MESSAGE_CHARS],
            method[:16] if isinstance(method, str) and method else None,
            _str_or_none(value_at(payload, _ROUTE)),
            code if type(code) is int and 0 <= code < 1000 else None,
            _str_or_none(_first(payload, _DB_SYSTEM)),
            peer[:MAX_NAME_CHARS] if isinstance(peer, str) and peer else None,
            status == STATUS_ERROR,
            rid,
            payload,
        )
    )


def _str_or_none(value: Any) -> str | None:
    return value[:MAX_NAME_CHARS] if isinstance(value, str) and value else None
