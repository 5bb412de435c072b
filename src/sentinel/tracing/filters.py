"""Trace search filters: parsing `key=value`, `key!=value`, `key` and mapping them onto the
promoted columns, the span's encoded attributes (exact KeyValue bytes) or the resource's
JSON attributes. Parsing is pure; `to_sql` builds expressions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    LargeBinary,
    String,
    and_,
    cast,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB

from sentinel.tracing import payload
from sentinel.tracing.models import Span, SpanResource

Op = Literal["=", "!=", "exists"]
MAX_KEY_CHARS = 200


@dataclass(frozen=True)
class AttributeFilter:
    key: str
    op: Op
    value: str | None = None


def parse_filter(text: str) -> AttributeFilter:
    """`key=value`, `key!=value` or a bare `key` (the attribute exists)."""
    raw = text.strip()
    if "!=" in raw:
        key, value = raw.split("!=", 1)
        parsed = AttributeFilter(key.strip(), "!=", value.strip())
    elif "=" in raw:
        key, value = raw.split("=", 1)
        parsed = AttributeFilter(key.strip(), "=", value.strip())
    else:
        parsed = AttributeFilter(raw, "exists")
    if not parsed.key or len(parsed.key) > MAX_KEY_CHARS or '"' in parsed.key:
        raise ValueError(f"{text!r} is not a filter: use key=value, key!=value or key")
    return parsed


# Attribute keys served by promoted columns (both the current and the older semantic
# convention names).
_TEXT_COLUMNS: dict[str, Any] = {
    "service.name": Span.service,
    "http.method": Span.http_method,
    "http.request.method": Span.http_method,
    "http.route": Span.http_route,
    "db.system": Span.db_system,
    "db.system.name": Span.db_system,
    "peer.service": Span.peer_service,
}
_INT_COLUMNS: dict[str, Any] = {
    "http.status_code": Span.http_status_code,
    "http.response.status_code": Span.http_status_code,
}


def _json_text(column: Any, key: str, dialect: str) -> ColumnElement[Any]:
    """The attribute's value as text ('true'/'false' for booleans on both databases)."""
    if dialect == "postgresql":
        return cast(column, JSONB).op("->>")(key)
    path = f'$."{key}"'
    value = func.json_extract(column, path)
    return func.iif(
        func.json_type(column, path).in_(["true", "false"]),
        func.json_type(column, path),
        cast(value, String),
    )


def _matches(column: Any, f: AttributeFilter, dialect: str) -> ColumnElement[bool]:
    text = _json_text(column, f.key, dialect)
    if f.op == "exists":
        return text.is_not(None)
    return text == f.value


def _has_value(f: AttributeFilter, dialect: str) -> ColumnElement[bool]:
    """The span (or its resource) has attribute `key` (with `value` unless exists)."""
    if f.key in _TEXT_COLUMNS:
        column = _TEXT_COLUMNS[f.key]
        return column.is_not(None) if f.op == "exists" else column == f.value  # type: ignore[no-any-return]
    if f.key in _INT_COLUMNS:
        column = _INT_COLUMNS[f.key]
        if f.op == "exists":
            return column.is_not(None)  # type: ignore[no-any-return]
        if not (f.value or "").lstrip("-").isdigit():
            return false()
        return column == int(f.value or 0)  # type: ignore[no-any-return]
    if f.key == "error":
        wanted = f.op == "exists" or (f.value or "").lower() in ("true", "1")
        return Span.is_error.is_(True) if wanted else Span.is_error.is_(False)
    on_resource = select(SpanResource.id).where(_matches(SpanResource.attributes, f, dialect))
    return or_(_in_payload(f, dialect), Span.resource_id.in_(on_resource))


def _in_payload(f: AttributeFilter, dialect: str) -> ColumnElement[bool]:
    """The span's encoding contains the attribute (any of its typed encodings)."""
    patterns = payload.attribute_patterns(f.key, None if f.op == "exists" else f.value)
    if dialect == "postgresql":
        found = [
            func.position(literal(p, LargeBinary).op("IN")(Span.payload)) > 0 for p in patterns
        ]
    else:
        found = [func.instr(Span.payload, literal(p, LargeBinary)) > 0 for p in patterns]
    return or_(*found)


def to_sql(filters: list[AttributeFilter], dialect: str) -> ColumnElement[bool]:
    clauses = []
    for f in filters:
        if f.op == "!=":
            # A span without the attribute counts as "different" (NULL must not hide it).
            has = _has_value(AttributeFilter(f.key, "=", f.value), dialect)
            clauses.append(not_(func.coalesce(has, false())))
        else:
            clauses.append(_has_value(f, dialect))
    return and_(*clauses) if clauses else true()
