"""The brief's REST ingest (`POST /api/logs/ingest`) and NDJSON, to log rows.

A record is an object with `message` (or msg/body/log/line), `timestamp` (RFC 3339, or
epoch seconds/ms/us/ns; or time/ts/@timestamp), `service_name` (or service), `level`
(or severity), and optional `trace_id`, `span_id` and `attributes`. A body is one
record, a list of records, or {"logs": [...]}; NDJSON is one record per line.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from sentinel.ingest.otlp.values import MAX_ATTRIBUTES, MAX_VALUE_CHARS
from sentinel.logs import severity
from sentinel.logs.records import (
    MAX_RECORDS_PER_REQUEST,
    MAX_SERVICE_CHARS,
    UNKNOWN_SERVICE,
    LogBatch,
)

_MESSAGE_KEYS = ("message", "msg", "body", "log", "line")
_TIME_KEYS = ("timestamp", "time", "ts", "@timestamp")
_LEVEL_CACHE: dict[Any, tuple[int, str]] = {}
_HEX = frozenset("0123456789abcdef")


class NotLogs(ValueError):
    """The body is not records in any accepted shape: a 400 for the whole request."""


def parse_time_ns(raw: Any) -> int:
    """RFC 3339 text or an epoch number in s, ms, us or ns (told apart by size)."""
    if raw is None or raw == "":
        return 0
    if isinstance(raw, bool):
        raise ValueError("timestamp must be a time, not a boolean")
    if isinstance(raw, str):
        text = raw.strip()
        try:
            raw = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError as exc:
                raise ValueError(f"timestamp {raw!r} is not RFC 3339 or an epoch number") from exc
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            delta = parsed - datetime(1970, 1, 1, tzinfo=UTC)
            return (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000
    if not isinstance(raw, int | float) or raw != raw:
        raise ValueError(f"timestamp {raw!r} is not a time")
    magnitude = abs(raw)
    if magnitude >= 1e17:
        return int(raw)
    if magnitude >= 1e14:
        return int(raw * 1_000)
    if magnitude >= 1e11:
        return int(raw * 1_000_000)
    return int(raw * 1_000_000_000)


def _level(raw: Any) -> tuple[int, str]:
    try:
        return _LEVEL_CACHE[raw]
    except (KeyError, TypeError):
        level = severity.normalize(raw if isinstance(raw, int) else None, raw)
        if isinstance(raw, str | int) and len(_LEVEL_CACHE) < 1000:
            _LEVEL_CACHE[raw] = level
        return level


def _hex(raw: Any, width: int, what: str) -> str:
    if raw is None or raw == "":
        return ""
    if not isinstance(raw, str):
        raise ValueError(f"{what} must be a hex string")
    text = raw.lower()
    if len(text) != width or not _HEX.issuperset(text):
        raise ValueError(f"{what} must be {width} hex characters")
    return text


def _attributes(raw: Any, batch: LogBatch) -> str:
    if not raw:
        return "{}"
    if not isinstance(raw, dict):
        raise ValueError("attributes must be an object")
    if len(raw) > MAX_ATTRIBUTES:
        raw = dict(list(raw.items())[:MAX_ATTRIBUTES])
        note = f"attributes past {MAX_ATTRIBUTES} per record were dropped"
        if note not in batch.problems and len(batch.problems) < 5:
            batch.problems.append(note)
    for key, value in raw.items():
        if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
            raw[key] = value[:MAX_VALUE_CHARS]
    return orjson.dumps(raw, option=orjson.OPT_NON_STR_KEYS).decode()


def add_record(batch: LogBatch, record: Any, default_service: str = UNKNOWN_SERVICE) -> None:
    """Append one brief-shaped record, or count it as rejected with the reason."""
    if batch.over_limit():
        batch.reject(f"more than {MAX_RECORDS_PER_REQUEST} records in one request")
        return
    try:
        if not isinstance(record, dict):
            raise ValueError("a record must be a JSON object")
        message = None
        for key in _MESSAGE_KEYS:
            message = record.get(key)
            if message is not None:
                break
        if message is None:
            raise ValueError("a record needs a 'message'")
        if not isinstance(message, str):
            message = orjson.dumps(message).decode()
        raw_time = None
        for key in _TIME_KEYS:
            raw_time = record.get(key)
            if raw_time is not None:
                break
        times = batch.check_time(parse_time_ns(raw_time), 0)
        if isinstance(times, str):
            raise ValueError(times)
        service = record.get("service_name") or record.get("service") or default_service
        if not isinstance(service, str):
            raise ValueError("service_name must be a string")
        raw_level = record.get("level", record.get("severity"))
        if raw_level is None:
            sniffed = severity.sniff(message)
            level = _level(sniffed) if sniffed else _level("INFO")
        else:
            level = _level(raw_level)
        row = (
            times[0],
            times[1],
            service[:MAX_SERVICE_CHARS],
            level[0],
            level[1],
            batch.body(message),
            _hex(record.get("trace_id"), 32, "trace_id"),
            _hex(record.get("span_id"), 16, "span_id"),
            _attributes(record.get("attributes"), batch),
            "{}",
        )
    except (ValueError, TypeError, OverflowError, orjson.JSONEncodeError) as exc:
        batch.reject(f"record {batch.rejected + len(batch.rows)}: {exc}")
        return
    batch.services.add(row[2])
    batch.rows.append(row)


def decode_json(body: bytes) -> LogBatch:
    """One record, a list, or {"logs": [...]} (also "records"/"entries")."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise NotLogs(f"the body is not valid JSON: {exc}") from exc
    if isinstance(document, dict):
        for key in ("logs", "records", "entries"):
            if isinstance(document.get(key), list):
                document = document[key]
                break
    records = document if isinstance(document, list) else [document]
    if not records:
        raise NotLogs("the body holds no records")
    batch = LogBatch()
    for record in records:
        add_record(batch, record)
    return batch


def decode_ndjson(body: bytes) -> LogBatch:
    """One JSON record per line; a line that is not JSON is rejected and counted."""
    batch = LogBatch()
    loads = orjson.loads
    for number, line in enumerate(body.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            record = loads(line)
        except orjson.JSONDecodeError:
            batch.reject(f"line {number} is not JSON")
            continue
        add_record(batch, record)
    if not batch.rows and not batch.rejected:
        raise NotLogs("the body holds no records")
    return batch
