"""Loki push API, JSON flavour (`POST /loki/api/v1/push`), to log rows.

    {"streams": [{"stream": {"job": "api", "level": "error"},
                  "values": [["1700000000000000000", "line", {"structured": "metadata"}]]}]}

Labels and structured metadata become attributes; the service is the `service_name`,
`service` or `job` label (in that order); the level is the `level`, `severity` or
`detected_level` label, else a level written in the line. Promtail, Grafana Alloy and
Fluent Bit's Loki output send this shape (gzip is undone by the middleware).
"""

from __future__ import annotations

from typing import Any

import orjson

from sentinel.ingest.otlp.values import MAX_ATTRIBUTES
from sentinel.logs import severity
from sentinel.logs.records import (
    MAX_RECORDS_PER_REQUEST,
    MAX_SERVICE_CHARS,
    UNKNOWN_SERVICE,
    LogBatch,
)

_SERVICE_LABELS = ("service_name", "service", "job")
_LEVEL_LABELS = ("level", "severity", "detected_level", "lvl")


class NotLokiPush(ValueError):
    """The body is not a Loki push request: a 400."""


def decode(body: bytes) -> LogBatch:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise NotLokiPush(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("streams"), list):
        raise NotLokiPush("the body must be an object with a 'streams' list")
    batch = LogBatch()
    for stream in document["streams"]:
        labels = stream.get("stream") if isinstance(stream, dict) else None
        values = stream.get("values") if isinstance(stream, dict) else None
        if not isinstance(labels, dict) or not isinstance(values, list):
            batch.reject("a stream needs a 'stream' label object and a 'values' list")
            continue
        _stream(batch, labels, values)
    return batch


def _stream(batch: LogBatch, labels: dict[str, Any], values: list[Any]) -> None:
    labels = {str(k): str(v) for k, v in list(labels.items())[:MAX_ATTRIBUTES]}
    service = UNKNOWN_SERVICE
    for key in _SERVICE_LABELS:
        if labels.get(key):
            service = labels[key][:MAX_SERVICE_CHARS]
            break
    level = None
    for key in _LEVEL_LABELS:
        if labels.get(key):
            level = severity.normalize(None, labels[key])
            break
    batch.services.add(service)
    label_json = orjson.dumps(labels).decode()
    for entry in values:
        if batch.over_limit():
            batch.reject(f"more than {MAX_RECORDS_PER_REQUEST} records in one request")
            continue
        if not isinstance(entry, list) or len(entry) < 2 or not isinstance(entry[1], str):
            batch.reject('an entry must be ["<unix epoch ns>", "<line>"(, {metadata})]')
            continue
        try:
            time_ns = int(entry[0])
        except (TypeError, ValueError):
            batch.reject(f"timestamp {entry[0]!r} is not unix epoch nanoseconds")
            continue
        times = batch.check_time(time_ns, 0)
        if isinstance(times, str):
            batch.reject(times)
            continue
        line = entry[1]
        attributes = label_json
        trace_id = ""
        if len(entry) > 2 and isinstance(entry[2], dict) and entry[2]:
            metadata = {str(k): v for k, v in entry[2].items()}
            merged = {**labels, **metadata}
            attributes = orjson.dumps(dict(list(merged.items())[:MAX_ATTRIBUTES])).decode()
            trace_id = _trace_id(metadata.get("trace_id") or metadata.get("traceID"))
        if level is not None:
            number, text = level
        else:
            sniffed = severity.sniff(line)
            number, text = severity.normalize(sniffed)
        batch.rows.append(
            (
                times[0],
                times[1],
                service,
                number,
                text,
                batch.body(line),
                trace_id,
                "",
                attributes,
                "{}",
            )
        )


def _trace_id(raw: Any) -> str:
    if isinstance(raw, str) and len(raw) == 32:
        text = raw.lower()
        if all(c in "0123456789abcdef" for c in text):
            return text
    return ""
