"""The stored form of a span's details: its OTLP `Span` protobuf encoding.

Attributes, events and links stay in the bytes the client sent (or an equivalent encoding
for OTLP JSON and the brief's API), so ingest does no per-attribute work. Reads decode
them; search finds attributes with the exact bytes of their KeyValue encoding
(`instr`/`position` on the column), since a KeyValue encodes the same way everywhere.
"""

from __future__ import annotations

import base64
import contextlib
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanMessage

MAX_PAYLOAD_BYTES = 64 * 1024
_UINT64 = (1 << 64) - 1


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


def key_marker(key: str) -> bytes:
    """The bytes that open a KeyValue with this key, up to its value's tag."""
    raw = key.encode()
    return b"\n" + _varint(len(raw)) + raw + b"\x12"


def _whole_varint(raw: bytes) -> int | None:
    """The unsigned value of the one varint that `raw` is, else None."""
    last = len(raw) - 1
    if not 0 <= last < 10:
        return None
    number = 0
    for i, byte in enumerate(raw):
        if (byte < 0x80) != (i == last):  # only the last byte ends the varint
            return None
        number |= (byte & 0x7F) << (7 * i)
    return number & _UINT64


def value_at(payload: bytes, marker: bytes) -> Any:
    """The string/int/bool value of the attribute whose KeyValue starts with `marker`.

    A false hit would need a string value containing the exact key encoding followed by a
    value tag; if one happens, its bytes rarely parse as a scalar AnyValue and give None.
    """
    at = payload.find(marker)
    if at < 0:
        return None
    pos = at + len(marker)
    if pos + 2 < len(payload) and payload[pos] < 0x80:
        tag = payload[pos + 1]
        # Fast paths: a short string value (AnyValue length < 128, tag 0x0a, length < 128)
        if tag == 0x0A:
            size = payload[pos + 2]
            if size < 0x80 and size + 2 == payload[pos]:
                return payload[pos + 3 : pos + 3 + size].decode("utf-8", "replace")
        # and an int value (tag 0x18) whose varint is the whole AnyValue.
        elif tag == 0x18:
            number = _whole_varint(payload[pos + 2 : pos + 1 + payload[pos]])
            if number is not None:
                return number - (1 << 64) if number >= 1 << 63 else number
    length, shift = 0, 0
    while pos < len(payload) and shift < 35:
        byte = payload[pos]
        length |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            break
        shift += 7
    try:
        value = AnyValue.FromString(payload[pos : pos + length])
    except Exception:
        return None
    which = value.WhichOneof("value")
    if which in ("string_value", "int_value", "bool_value"):
        return getattr(value, which)
    return None


def attribute_patterns(key: str, value: str | None) -> list[bytes]:
    """Byte patterns of `key` (any value) or of `key` = `value` as a string, integer,
    double or boolean, as they appear in a stored span."""
    if value is None:
        return [key_marker(key)]
    candidates = [AnyValue(string_value=value)]
    text = value.strip()
    try:
        number = int(text)
        if -(2**63) <= number < 2**63:
            candidates.append(AnyValue(int_value=number))
        candidates.append(AnyValue(double_value=float(number)))
    except ValueError:
        with contextlib.suppress(ValueError):
            candidates.append(AnyValue(double_value=float(text)))
    if text.lower() in ("true", "false"):
        candidates.append(AnyValue(bool_value=text.lower() == "true"))
    return [KeyValue(key=key, value=v).SerializeToString() for v in candidates]


def decode(payload: bytes | None) -> SpanMessage:
    """The stored span; an undecodable payload (never written by ingest, which validates
    it) reads as a span without details rather than failing the whole trace."""
    span = SpanMessage()
    with contextlib.suppress(Exception):
        span.ParseFromString(payload or b"")
    return span


def _any(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [_any(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return pb_attribute_dict(value.kvlist_value.values)
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return getattr(value, which)


def pb_attribute_dict(kvs: Any) -> dict[str, Any]:
    return {kv.key: _any(kv.value) for kv in kvs}


def attributes(span: SpanMessage) -> dict[str, Any]:
    return pb_attribute_dict(span.attributes)


def events(span: SpanMessage) -> list[dict[str, Any]]:
    return [
        {"t": e.time_unix_nano, "name": e.name, "attributes": pb_attribute_dict(e.attributes)}
        for e in span.events
    ]


def links(span: SpanMessage) -> list[dict[str, Any]]:
    return [
        {
            "trace_id": link.trace_id.hex(),
            "span_id": link.span_id.hex(),
            "trace_state": link.trace_state,
            "attributes": pb_attribute_dict(link.attributes),
        }
        for link in span.links
    ]


def _any_value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    return AnyValue(string_value=str(value))


def encode_span(
    trace_id: str,
    span_id: str,
    parent_span_id: str,
    name: str,
    kind: int,
    start_ns: int,
    end_ns: int,
    status_code: int,
    attributes: dict[str, Any],
) -> bytes:
    """A span made from plain values (the brief's API) in the stored encoding."""
    span = SpanMessage(
        trace_id=bytes.fromhex(trace_id),
        span_id=bytes.fromhex(span_id),
        parent_span_id=bytes.fromhex(parent_span_id),
        name=name,
        kind=kind,  # type: ignore[arg-type]
        start_time_unix_nano=start_ns,
        end_time_unix_nano=end_ns,
        attributes=[KeyValue(key=k, value=_any_value(v)) for k, v in attributes.items()],
    )
    span.status.code = status_code  # type: ignore[assignment]
    return bytes(span.SerializeToString())
