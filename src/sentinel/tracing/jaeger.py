"""Spans in the Jaeger query API's JSON model (what Jaeger UI and Grafana read). Pure.

Times are microseconds; tags are typed key/values; a span's process is its resource,
declared once per trace under `processes`; parentage and links are `references`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from sentinel.tracing import payload
from sentinel.tracing.records import KIND_NAMES, STATUS_ERROR, STATUS_OK

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9,
            "h": 3600 * 10**9}  # fmt: skip


def parse_go_duration(text: str) -> int:
    """A Go duration ('1.5s', '100ms', '1h30m') in nanoseconds."""
    raw = text.strip()
    if not raw:
        raise ValueError("empty duration")
    pos, total = 0, 0.0
    for match in _DURATION.finditer(raw):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_NS[match.group(2)]
        pos = match.end()
    if pos != len(raw):
        if raw.isdigit():
            return int(raw) * 1_000  # a bare number: microseconds, like Jaeger's other params
        raise ValueError(f"{text!r} is not a duration such as '100ms' or '1.5s'")
    return int(total)


def tag(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "type": "bool", "value": value}
    if isinstance(value, int):
        return {"key": key, "type": "int64", "value": value}
    if isinstance(value, float):
        return {"key": key, "type": "float64", "value": value}
    if isinstance(value, str):
        return {"key": key, "type": "string", "value": value}
    return {"key": key, "type": "string", "value": orjson.dumps(value).decode()}


def tags(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    return [tag(k, v) for k, v in attributes.items()]


def span_json(span: Any, process_id: str, scope: tuple[str, str]) -> dict[str, Any]:
    """One stored span (ORM row) as a Jaeger span."""
    details = payload.decode(span.payload)
    span_tags = tags(payload.attributes(details))
    if 0 < span.kind < len(KIND_NAMES):
        span_tags.append(tag("span.kind", KIND_NAMES[span.kind]))
    if span.status_code == STATUS_ERROR:
        span_tags.append(tag("error", True))
        span_tags.append(tag("otel.status_code", "ERROR"))
    elif span.status_code == STATUS_OK:
        span_tags.append(tag("otel.status_code", "OK"))
    if span.status_message:
        span_tags.append(tag("otel.status_description", span.status_message))
    if scope[0]:
        span_tags.append(tag("otel.scope.name", scope[0]))
    if scope[1]:
        span_tags.append(tag("otel.scope.version", scope[1]))
    references = []
    if span.parent_span_id:
        references.append(
            {"refType": "CHILD_OF", "traceID": span.trace_id, "spanID": span.parent_span_id}
        )
    for link in payload.links(details):
        references.append(
            {"refType": "FOLLOWS_FROM", "traceID": link["trace_id"], "spanID": link["span_id"]}
        )
    logs = [
        {"timestamp": e["t"] // 1000, "fields": [tag("event", e["name"]), *tags(e["attributes"])]}
        for e in payload.events(details)
    ]
    return {
        "traceID": span.trace_id,
        "spanID": span.span_id,
        "operationName": span.name,
        "references": references,
        "startTime": span.start_ns // 1000,
        "duration": span.duration_ns // 1000,
        "tags": span_tags,
        "logs": logs,
        "processID": process_id,
        "warnings": None,
        "flags": 1,
    }


def trace_json(spans: Sequence[Any], resources: dict[int, Any]) -> dict[str, Any]:
    """A stored trace (spans of one trace id, resources by id) as a Jaeger trace."""
    process_ids: dict[int, str] = {}
    processes: dict[str, Any] = {}
    out = []
    for span in spans:
        pid = process_ids.get(span.resource_id)
        resource = resources.get(span.resource_id)
        if pid is None:
            pid = f"p{len(process_ids) + 1}"
            process_ids[span.resource_id] = pid
            attributes = orjson.loads(resource.attributes) if resource else {}
            attributes.pop("service.name", None)
            processes[pid] = {"serviceName": span.service, "tags": tags(attributes)}
        scope = (resource.scope_name, resource.scope_version) if resource else ("", "")
        out.append(span_json(span, pid, scope))
    return {
        "traceID": spans[0].trace_id if spans else "",
        "spans": out,
        "processes": processes,
        "warnings": None,
    }


def envelope(data: Any, errors: Iterable[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Jaeger's response wrapper."""
    items = list(errors or [])
    total = len(data) if isinstance(data, list) else 0
    return {
        "data": data,
        "total": total,
        "limit": 0,
        "offset": 0,
        "errors": items or None,
    }


def parse_tags(tags_json: str | None, tag_params: Iterable[str]) -> dict[str, str]:
    """Jaeger UI sends tags={"k":"v"} (JSON); older clients send tag=k:v (repeatable)."""
    wanted: dict[str, str] = {}
    if tags_json:
        try:
            parsed = orjson.loads(tags_json)
        except orjson.JSONDecodeError as exc:
            raise ValueError("tags must be a JSON object of strings") from exc
        if not isinstance(parsed, dict):
            raise ValueError("tags must be a JSON object of strings")
        wanted.update({str(k): v if isinstance(v, str) else orjson.dumps(v).decode()
                       for k, v in parsed.items()})  # fmt: skip
    for raw in tag_params:
        key, sep, value = raw.partition(":")
        if not sep or not key:
            raise ValueError(f"tag {raw!r} must look like key:value")
        wanted[key] = value
    return wanted
