"""The log search language: terms, "phrases", -exclusions and field:value filters.

    timeout "connection reset" -healthcheck service:api level:error,fatal
    trace_id:4bf92f3577b34da6a3ce929d0e0e4736 http.status_code:503 -env:staging

Everything is ANDed. Terms match words of the body by prefix (`time` finds `timeout`),
phrases match words in order. Known fields: service (service_name, svc), level
(severity, lvl; comma lists), trace_id (trace), span_id (span), pattern (pattern_id);
any other `key:value` filters on a log attribute (resource attributes included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sentinel.logs import severity

MAX_QUERY_CHARS = 2000
MAX_CLAUSES = 32

_FIELD_ALIASES = {
    "service": "service",
    "service_name": "service",
    "svc": "service",
    "level": "level",
    "severity": "level",
    "lvl": "level",
    "trace_id": "trace_id",
    "trace": "trace_id",
    "traceid": "trace_id",
    "span_id": "span_id",
    "span": "span_id",
    "spanid": "span_id",
    "pattern": "pattern",
    "pattern_id": "pattern",
}
# One clause: optional '-', optional 'field:', then a "quoted" or bare value.
_CLAUSE = re.compile(r'(-?)(?:([A-Za-z_][\w.\-]*):)?(?:"((?:[^"\\]|\\.)*)"?|(\S+))')
_HEX = re.compile(r"^[0-9a-f]+$")


class QuerySyntaxError(ValueError):
    """The query cannot be read; the message says where and why."""


@dataclass
class LogQuery:
    """A structured log search; the API echoes it back so the user sees what ran."""

    terms: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)  # terms or phrases that must not match
    services: list[str] = field(default_factory=list)
    exclude_services: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)  # canonical level names
    trace_id: str | None = None
    span_id: str | None = None
    pattern_ids: list[int] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    exclude_attributes: dict[str, str] = field(default_factory=dict)
    start_ns: int | None = None
    end_ns: int | None = None

    def text_terms(self) -> list[str]:
        return self.terms + self.phrases

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if value not in (None, [], {}):
                out[key] = value
        return out


def parse_levels(value: str) -> list[str]:
    """'error,fatal' or 'WARNING' as canonical level names; raises on an unknown name."""
    levels: list[str] = []
    for part in value.split(","):
        if not part.strip():
            continue
        number = severity.parse_level_name(part)
        if number is None:
            raise QuerySyntaxError(
                f"unknown level {part!r}; use trace, debug, info, warn, error or fatal"
            )
        level = severity.level_of(number)
        if level not in levels:
            levels.append(level)
    return levels


def _hex_id(value: str, width: int, what: str) -> str:
    text = value.strip().lower()
    if len(text) != width or not _HEX.match(text):
        raise QuerySyntaxError(f"{what} must be {width} hex characters, got {value!r}")
    return text


def parse(text: str) -> LogQuery:
    """Parse the search language into a LogQuery; raises QuerySyntaxError."""
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    query = LogQuery()
    clauses = 0
    for match in _CLAUSE.finditer(text):
        negate, name, quoted, bare = match.groups()
        value = quoted.replace('\\"', '"') if quoted is not None else bare
        if value is None:
            continue
        clauses += 1
        if clauses > MAX_CLAUSES:
            raise QuerySyntaxError(f"the query has more than {MAX_CLAUSES} clauses")
        if name is None:
            _add_text(query, value, quoted is not None, bool(negate))
        else:
            _add_field(query, name, value, bool(negate))
    return query


def _add_text(query: LogQuery, value: str, quoted: bool, negate: bool) -> None:
    value = value.strip()
    if not value:
        return
    if negate:
        query.exclude.append(value)
    elif quoted and " " in value:
        query.phrases.append(value)
    else:
        query.terms.append(value)


def _add_field(query: LogQuery, name: str, value: str, negate: bool) -> None:
    key = _FIELD_ALIASES.get(name.lower())
    if not value:
        raise QuerySyntaxError(f"{name}: needs a value")
    if key == "service":
        (query.exclude_services if negate else query.services).append(value)
    elif negate and key is not None:
        raise QuerySyntaxError(f"-{name}: exclusion is supported for service and attributes only")
    elif key == "level":
        query.levels.extend(lv for lv in parse_levels(value) if lv not in query.levels)
    elif key == "trace_id":
        query.trace_id = _hex_id(value, 32, "trace_id")
    elif key == "span_id":
        query.span_id = _hex_id(value, 16, "span_id")
    elif key == "pattern":
        try:
            query.pattern_ids.append(int(value))
        except ValueError as exc:
            raise QuerySyntaxError(f"pattern: needs a pattern id number, got {value!r}") from exc
    else:
        attr = name[5:] if name.startswith("attr.") else name
        (query.exclude_attributes if negate else query.attributes)[attr] = value
