"""OTLP/HTTP rules shared by every signal (traces now, logs later).

- content negotiation: protobuf (application/x-protobuf, application/protobuf) or JSON;
  anything else is a 415;
- success: 200 with an empty Export*ServiceResponse, or one carrying `partialSuccess`
  (rejected count and a message) when some records were bad;
- failure: 400 for a body that is not OTLP, with a google.rpc.Status body in the
  request's encoding (the JSON form also carries the RFC 9457 fields);
- overload: 429 with Retry-After when the bounded write queue is full;
- not stored: 503 with Retry-After when the ingest process taking the body stopped, or
  the server is stopping (SQLite with the ingest pool).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import orjson

from sentinel.observability import current_request_id

PROTOBUF_TYPES = ("application/x-protobuf", "application/protobuf")
JSON_TYPES = ("application/json",)
# The OpenAPI entry of the 503 that every ingest route behind the ingest pool can answer.
_NOT_STORED = "Not stored (its ingest process stopped, or the server is stopping); retry."
NOT_STORED_RESPONSE: dict[int | str, dict[str, Any]] = {
    503: {"description": f"{_NOT_STORED} See Retry-After."}
}
# google.rpc.Code values for the Status body.
_RPC_CODE = {400: 3, 413: 8, 415: 3, 429: 8, 503: 14, 401: 16, 403: 7}


class Encoding(enum.Enum):
    PROTOBUF = "application/x-protobuf"
    JSON = "application/json"


@dataclass(frozen=True)
class Signal:
    """What differs between OTLP signals on the wire."""

    name: str  # "traces", "logs"
    rejected_field: str  # protobuf field name, e.g. "rejected_spans"
    rejected_json: str  # OTLP JSON name, e.g. "rejectedSpans"
    response_type: Any  # the Export*ServiceResponse message class


@dataclass
class OtlpReply:
    """A framework-neutral response: the router turns it into its own response type."""

    status: int
    body: bytes
    media_type: str
    headers: dict[str, str]


def negotiate(content_type: str | None) -> Encoding | None:
    """The request's encoding, or None when it is not an OTLP content type (-> 415)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in PROTOBUF_TYPES:
        return Encoding.PROTOBUF
    if media in JSON_TYPES:
        return Encoding.JSON
    return None


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def encode_status(code: int, message: str) -> bytes:
    """A google.rpc.Status message (code = 1, message = 2), encoded by hand: two fields
    do not justify a dependency on googleapis-common-protos."""
    text = message.encode()
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text


def success(signal: Signal, encoding: Encoding, rejected: int, problems: list[str]) -> OtlpReply:
    message = "; ".join(problems)
    if encoding is Encoding.PROTOBUF:
        response = signal.response_type()
        if rejected or message:
            setattr(response.partial_success, signal.rejected_field, rejected)
            response.partial_success.error_message = message
        return OtlpReply(200, response.SerializeToString(), encoding.value, {})
    body: dict[str, Any] = {}
    if rejected or message:
        # int64 is a string in the OTLP JSON mapping.
        body["partialSuccess"] = {signal.rejected_json: str(rejected), "errorMessage": message}
    return OtlpReply(200, orjson.dumps(body), encoding.value, {})


def failure(
    encoding: Encoding | None, status: int, message: str, retry_after: int | None = None
) -> OtlpReply:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    code = _RPC_CODE.get(status, 2)
    if encoding is Encoding.PROTOBUF:
        return OtlpReply(status, encode_status(code, message), encoding.value, headers)
    body: dict[str, Any] = {
        "code": code,
        "message": message,
        "type": f"/problems/otlp-{status}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": message,
    }
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    media = "application/json" if encoding is Encoding.JSON else "application/problem+json"
    return OtlpReply(status, orjson.dumps(body), media, headers)


class Overloaded(Exception):
    """The write queue is full: answer 429 with Retry-After."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("the write queue is full")
        self.retry_after = retry_after


class IngestAdmission:
    """Bounds the ingest requests held in memory and, on PostgreSQL, the writes running at
    once.

    `pending` counts requests from decoding until their commit; past `max_pending` new
    requests are refused at once (429) instead of queueing without bound. `writers` bounds
    the concurrent write transactions on PostgreSQL (a share of the connection pool); on
    SQLite it is None: there the database's write gate (storage/write_gate.py) queues every
    writer of the process, ingest or worker, one transaction at a time.
    """

    def __init__(self, max_pending: int, writers: int | None = None, retry_after: int = 1) -> None:
        self._writers = asyncio.Semaphore(writers) if writers else None
        self.max_pending = max_pending
        self.pending = 0
        self.retry_after = retry_after

    @contextlib.contextmanager
    def admit(self) -> Any:
        if self.pending >= self.max_pending:
            raise Overloaded(self.retry_after)
        self.pending += 1
        try:
            yield
        finally:
            self.pending -= 1

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        if self._writers is None:
            yield
            return
        async with self._writers:
            yield
