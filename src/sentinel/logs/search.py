"""Log search: a LogQuery to SQL on SQLite (FTS5) or PostgreSQL (tsvector GIN).

Text terms match words by prefix, phrases match words in order. On SQLite the FTS5
index covers the records up to the derive cursor; the few records after it (the
indexing lag) are matched with LIKE instead, so a search never misses a fresh line, and
the response says how far the index had got.

A trace id is looked up the same way: log_trace_refs (trace_refs.py) says where the
trace's lines are up to the derive cursor, and the lines after it are scanned.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, cast, func, not_, or_, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.api.pagination import decode_cursor, encode_cursor
from sentinel.logs import severity
from sentinel.logs.models import LogRecord
from sentinel.logs.query import LogQuery
from sentinel.logs.trace_refs import TraceLines, for_trace, seek_by_id

_WORD = re.compile(r"\w+")


def _like_pattern(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(value: str, postgres: bool) -> ColumnElement[bool]:
    if postgres:
        return LogRecord.body.ilike(_like_pattern(value), escape="\\")
    return LogRecord.body.like(_like_pattern(value), escape="\\")


def fts5_expression(query: LogQuery) -> str | None:
    """The FTS5 MATCH string: every term a quoted prefix query, every phrase quoted."""
    parts = []
    for term in query.terms:
        if _WORD.search(term):
            parts.append('"' + term.replace('"', '""') + '"*')
    for phrase in query.phrases:
        if _WORD.search(phrase):
            parts.append('"' + phrase.replace('"', '""') + '"')
    return " AND ".join(parts) or None


def tsquery_expression(query: LogQuery) -> str | None:
    """The to_tsquery('simple', ...) string: lexemes only, so nothing can inject syntax."""
    parts = []
    for term in query.terms:
        words = [w.lower() for w in _WORD.findall(term)]
        if words:
            words[-1] += ":*"
            parts.append(
                " <-> ".join(f"'{w[:-2]}':*" if w.endswith(":*") else f"'{w}'" for w in words)
            )
    for phrase in query.phrases:
        words = [w.lower() for w in _WORD.findall(phrase)]
        if words:
            parts.append(" <-> ".join(f"'{w}'" for w in words))
    return " & ".join(f"({p})" for p in parts) or None


def _attribute(key: str, postgres: bool) -> ColumnElement[Any]:
    if postgres:
        return func.coalesce(
            cast(LogRecord.attributes, JSONB)[key].astext,
            cast(LogRecord.resource, JSONB)[key].astext,
        )
    path = '$."' + key.replace('"', '\\"') + '"'
    return cast(
        func.coalesce(
            func.json_extract(LogRecord.attributes, path),
            func.json_extract(LogRecord.resource, path),
        ),
        LogRecord.body.type,
    )


def filters(
    query: LogQuery, postgres: bool, indexed_through: int, trace: TraceLines | None = None
) -> list[Any]:
    """Every condition of the query except the ordering and the page cursor. On SQLite
    a text search binds `:fts` (pass fts5_expression as the statement's parameter).
    `trace` (trace_refs.for_trace of query.trace_id) says where that trace's lines are;
    without it the trace id is a plain filter, which reads every row the other
    conditions leave (there is no index on trace_id): fine within an id range (the tail)."""
    where: list[Any] = []
    if query.start_ns is not None:
        where.append(LogRecord.time_ns >= query.start_ns)
    if query.end_ns is not None:
        where.append(LogRecord.time_ns < query.end_ns)
    if query.services:
        where.append(LogRecord.service.in_(query.services))
    if query.exclude_services:
        where.append(LogRecord.service.not_in(query.exclude_services))
    if query.levels:
        ranges = severity.levels_to_ranges(set(query.levels))
        where.append(or_(*(LogRecord.severity_number.between(lo, hi) for lo, hi in ranges)))
    by_trace = ranged(query, trace)
    if by_trace is not None:
        where.append(by_trace.condition())
    elif query.trace_id:
        where.append(LogRecord.trace_id == query.trace_id)
    if query.span_id:
        where.append(LogRecord.span_id == query.span_id)
    if query.pattern_ids:
        where.append(LogRecord.pattern_id.in_(query.pattern_ids))
    for key, value in query.attributes.items():
        where.append(_attribute(key, postgres) == value)
    for key, value in query.exclude_attributes.items():
        where.append(func.coalesce(_attribute(key, postgres), "") != value)
    for value in query.exclude:
        where.append(not_(contains(value, postgres)))
    where.extend(_text(query, postgres, indexed_through, by_trace is not None))
    return where


def ranged(query: LogQuery, trace: TraceLines | None) -> TraceLines | None:
    """`trace` when it holds the query's trace: the statement then reads by its ranges."""
    return trace if trace is not None and trace.trace_id == query.trace_id else None


def _text(query: LogQuery, postgres: bool, indexed_through: int, by_trace: bool) -> list[Any]:
    texts = query.text_terms()
    if not texts:
        return []
    # Terms with no word characters (e.g. "->") cannot use the index: LIKE only.
    unindexable = [t for t in texts if not _WORD.search(t)]
    where: list[Any] = [contains(t, postgres) for t in unindexable]
    if postgres:
        expression = tsquery_expression(query)
        if expression:
            where.append(
                text(
                    "to_tsvector('simple', log_records.body) @@ to_tsquery('simple', :tsq)"
                ).bindparams(tsq=expression)
            )
        return where
    expression = fts5_expression(query)
    if expression:
        # With a trace's ranges to read by, the index's matches are a check on them (+ 0
        # keeps SQLite from reading every match of a common word instead).
        key = LogRecord.id + 0 if by_trace else LogRecord.id
        indexed = key.in_(
            select(text("rowid")).select_from(text("log_fts")).where(text("log_fts MATCH :fts"))
        )
        tail = and_(
            LogRecord.id > indexed_through,
            *(contains(t, postgres) for t in texts if _WORD.search(t)),
        )
        where.append(or_(indexed, tail).self_group())
    return where


def statement(
    query: LogQuery, postgres: bool, indexed_through: int, trace: TraceLines | None = None
) -> Select[Any]:
    stmt = select(LogRecord)
    for condition in filters(query, postgres, indexed_through, trace):
        stmt = stmt.where(condition)
    return seek_by_id(stmt, ranged(query, trace))


async def run(
    session: AsyncSession,
    query: LogQuery,
    *,
    postgres: bool,
    indexed_through: int,
    limit: int,
    cursor: str | None,
) -> tuple[list[LogRecord], str | None]:
    """One page of matching records, newest first, keyed by (time_ns, id)."""
    stmt = statement(query, postgres, indexed_through, await for_trace(session, query.trace_id))
    if cursor:
        time_ns, record_id = decode_cursor(cursor, 2)
        stmt = stmt.where(
            or_(
                LogRecord.time_ns < time_ns,
                and_(LogRecord.time_ns == time_ns, LogRecord.id < record_id),
            )
        )
    stmt = stmt.order_by(LogRecord.time_ns.desc(), LogRecord.id.desc()).limit(limit + 1)
    expression = None if postgres else fts5_expression(query)
    params = {"fts": expression} if expression else {}
    rows = list((await session.execute(stmt, params)).scalars().all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].time_ns, rows[-1].id])
    return rows, next_cursor
