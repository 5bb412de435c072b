"""OTLP AnyValue / KeyValue lists to plain Python values, from protobuf and from OTLP JSON.

Limits (SPEC §6): at most MAX_ATTRIBUTES per list and MAX_VALUE_CHARS per string; extra
attributes are dropped and long strings truncated rather than failing the whole span.
"""

from __future__ import annotations

import base64
from typing import Any

MAX_ATTRIBUTES = 128
MAX_VALUE_CHARS = 8192
MAX_DEPTH = 8


class OtlpFormatError(ValueError):
    """The body is not OTLP: the whole request is rejected with a 400."""


class BadRecord(ValueError):
    """One record is invalid: it is rejected and counted in partialSuccess."""


def _pb_value(value: Any, depth: int = 0) -> Any:
    which = value.WhichOneof("value")
    if which == "string_value":
        text: str = value.string_value
        return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS]
    if which is None:
        return None
    if which == "array_value":
        if depth >= MAX_DEPTH:
            return None
        return [_pb_value(v, depth + 1) for v in value.array_value.values[:MAX_ATTRIBUTES]]
    if which == "kvlist_value":
        if depth >= MAX_DEPTH:
            return None
        return pb_attributes(value.kvlist_value.values, depth + 1)
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return getattr(value, which)


def pb_attributes(kvs: Any, depth: int = 0) -> dict[str, Any]:
    """A repeated KeyValue (protobuf) as a dict; the last duplicate key wins."""
    if len(kvs) > MAX_ATTRIBUTES:
        kvs = kvs[:MAX_ATTRIBUTES]
    out: dict[str, Any] = {}
    for kv in kvs:
        value = kv.value
        # Strings are most attributes: a non-empty string_value means the oneof holds one,
        # which saves a WhichOneof call on the hot path.
        text: str = value.string_value
        if text:
            out[kv.key] = text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS]
        else:
            out[kv.key] = _pb_value(value, depth)
    return out


def _int64(raw: Any, what: str) -> int:
    """OTLP JSON int64: a decimal string or a number."""
    if isinstance(raw, bool):
        raise BadRecord(f"{what} must be an integer, not a boolean")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        try:
            return int(raw)
        except ValueError:
            pass
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    raise BadRecord(f"{what} must be an integer or a decimal string, got {raw!r}")


def json_int64(raw: Any, what: str) -> int:
    return _int64(raw, what)


def _json_value(value: Any, depth: int = 0) -> Any:
    if not isinstance(value, dict):
        raise BadRecord("an attribute value must be an AnyValue object")
    if "stringValue" in value:
        text = value["stringValue"]
        if not isinstance(text, str):
            raise BadRecord("stringValue must be a string")
        return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS]
    if "intValue" in value:
        return _int64(value["intValue"], "intValue")
    if "boolValue" in value:
        flag = value["boolValue"]
        if not isinstance(flag, bool):
            raise BadRecord("boolValue must be true or false")
        return flag
    if "doubleValue" in value:
        number = value["doubleValue"]
        if isinstance(number, str) and number in ("NaN", "Infinity", "-Infinity"):
            return number
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise BadRecord("doubleValue must be a number")
        return float(number)
    if depth >= MAX_DEPTH:
        return None
    if "arrayValue" in value:
        items = (value["arrayValue"] or {}).get("values") or []
        if not isinstance(items, list):
            raise BadRecord("arrayValue.values must be a list")
        return [_json_value(v, depth + 1) for v in items[:MAX_ATTRIBUTES]]
    if "kvlistValue" in value:
        return json_attributes((value["kvlistValue"] or {}).get("values"), depth + 1)
    if "bytesValue" in value:
        return value["bytesValue"] if isinstance(value["bytesValue"], str) else None
    return None  # an empty AnyValue


def json_attributes(kvs: Any, depth: int = 0) -> dict[str, Any]:
    """A KeyValue list (OTLP JSON) as a dict; the last duplicate key wins."""
    if kvs is None:
        return {}
    if not isinstance(kvs, list):
        raise BadRecord("attributes must be a list of {key, value} objects")
    out: dict[str, Any] = {}
    for kv in kvs[:MAX_ATTRIBUTES]:
        if not isinstance(kv, dict) or not isinstance(kv.get("key"), str):
            raise BadRecord("an attribute must be an object with a string 'key'")
        out[kv["key"]] = _json_value(kv.get("value") or {}, depth)
    return out
