"""The log domain's read operations: search (structured or natural language) and views."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.logs import derive, nlquery, search, views
from sentinel.logs.derive import MINUTE_NS
from sentinel.logs.models import LogRecord
from sentinel.logs.query import LogQuery, parse, parse_levels
from sentinel.storage.dialect import dialect_name


@dataclass
class SearchRequest:
    text: str = ""
    services: list[str] = field(default_factory=list)
    levels: str | None = None
    start_ns: int | None = None
    end_ns: int | None = None
    pattern_ids: list[int] = field(default_factory=list)
    trace_id: str | None = None
    natural: bool | None = None  # None: detect
    limit: int = 100
    cursor: str | None = None


@dataclass
class SearchOutcome:
    records: list[LogRecord]
    next_cursor: str | None
    query: LogQuery
    natural: bool
    notes: list[str]
    freshness: dict[str, Any]


async def search_logs(
    session: AsyncSession, request: SearchRequest, seen_services: set[str]
) -> SearchOutcome:
    """Run a search. The text is read as a natural-language question when `natural` is
    set, or when it is unset and the text reads like one; otherwise as the search
    language. The explicit parameters (service, level, time range) are ANDed on top.
    Raises QuerySyntaxError for a query that cannot be read."""
    query, natural, notes = await interpret(session, request, seen_services)
    freshness = await derive.freshness(session)
    postgres = dialect_name(session) == "postgresql"
    records, next_cursor = await search.run(
        session,
        query,
        postgres=postgres,
        indexed_through=freshness["indexed_through_id"],
        limit=request.limit,
        cursor=request.cursor,
    )
    return SearchOutcome(records, next_cursor, query, natural, notes, freshness)


async def interpret(
    session: AsyncSession, request: SearchRequest, seen_services: set[str]
) -> tuple[LogQuery, bool, list[str]]:
    """The structured query a request runs (text read as the search language or as a
    question, explicit parameters ANDed on top), whether it was read as natural
    language, and how. Raises QuerySyntaxError."""
    natural = request.natural
    if natural is None:
        natural = nlquery.looks_natural(request.text)
    notes: list[str] = []
    now_ns = time.time_ns()
    if natural and request.text.strip():
        services = seen_services | await views.known_services(
            session, now_ns // MINUTE_NS - 7 * 24 * 60
        )
        interpretation = nlquery.interpret(request.text, services, now_ns)
        query, notes = interpretation.query, interpretation.notes
    else:
        query = parse(request.text)
    for service in request.services:
        if service not in query.services:
            query.services.append(service)
    if request.levels:
        explicit = parse_levels(request.levels)
        # Explicit levels narrow what the text asked for (or set it).
        query.levels = [lv for lv in query.levels if lv in explicit] or explicit
    if request.start_ns is not None:
        query.start_ns = max(query.start_ns or 0, request.start_ns)
    if request.end_ns is not None:
        query.end_ns = min(query.end_ns or request.end_ns, request.end_ns)
    if request.trace_id:
        query.trace_id = request.trace_id
    query.pattern_ids.extend(p for p in request.pattern_ids if p not in query.pattern_ids)
    return query, bool(natural), notes
