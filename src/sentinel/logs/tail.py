"""Live tail: `GET /api/logs/tail`, new log lines matching a query as server-sent events.

Ingest only inserts rows, from any replica and any protocol, so the tail follows the
table itself: each stream polls for rows past its cursor that match its query (by id, a
primary-key range, so a poll costs little however large the table is). The first frame
is `event: query` with the structured query that runs (as /search returns it), then every
matching line is an `event: log` whose data is the line as /search returns it and whose
SSE id is the record id: a client reconnecting with `Last-Event-ID` gets what it missed
(at most one batch). Whenever nothing was written for the heartbeat interval a comment
(`: keep-alive`) is sent, so proxies with an idle timeout keep the stream open.

Bounded: a poll reads at most `batch` lines. When more matched since the last poll (a
burst faster than anyone can read), the stream sends the newest `batch` and an
`event: skipped` with how many it left out, so neither the server nor a slow client
buffers without limit; a client that stops reading stops the polling (the write waits).

PostgreSQL hands out ids before commit, so a slow transaction can make an id below one
already sent visible later. A poll therefore reads only up to the table's visible high
water (storage/commit_order.py): every line at or below it has committed or never will,
so the cursor moves straight to it and a line that commits late is sent, not skipped.
SQLite has one writer: ids become visible in order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.api.deps import Reader, get_database
from sentinel.api.errors import BadRequest, Problem
from sentinel.logs import search, service
from sentinel.logs.models import LogRecord
from sentinel.logs.query import LogQuery, QuerySyntaxError
from sentinel.logs.runtime import LogsRuntime
from sentinel.logs.schemas import LogHit
from sentinel.storage.commit_order import Followed, visible_high_water
from sentinel.storage.engine import Database

# Included by logs/routes.py under its /api/logs prefix.
router = APIRouter()
DatabaseDep = Annotated[Database, Depends(get_database)]


class TailSettings(BaseSettings):
    """SENTINEL_LOGS_TAIL_*."""

    model_config = SettingsConfigDict(
        env_prefix="SENTINEL_LOGS_TAIL_", env_file=".env", extra="ignore"
    )

    poll_seconds: float = Field(1.0, gt=0, le=10)
    heartbeat_seconds: float = Field(10.0, gt=0, le=15)
    batch: int = Field(500, ge=1, le=5000)
    # Open tail streams per process; one more is a 429.
    max_streams: int = Field(100, ge=1)
    # No longer used (polls stop at the commit-order high water instead of trailing the
    # newest id by a guess); still accepted so an existing configuration keeps starting.
    settle_seconds: float = Field(2.0, ge=0, le=60)


@dataclass
class Cursor:
    """Which rows a stream has dealt with: every id up to `floor` (sent, not matching, or
    left out in a burst)."""

    floor: int

    def advance(self, high: int) -> None:
        """Every row up to `high` was polled (the floor never moves back: a client may
        resume from a Last-Event-ID above a rolled-back id)."""
        self.floor = max(self.floor, high)


def tail_query(query: LogQuery) -> LogQuery:
    """The query a tail runs: no time range (a tail is about lines arriving now)."""
    query.start_ns = None
    query.end_ns = None
    return query


def _conditions(query: LogQuery, postgres: bool) -> list[Any]:
    # Text terms as a scan of the few new rows (SQLite's FTS5 index trails ingest), and
    # the trace id as a plain filter: the poll's id range bounds the rows read.
    no_text = LogQuery(**{**query.__dict__, "terms": [], "phrases": []})
    where = search.filters(no_text, postgres, 0)
    if postgres:
        where.extend(search.filters(LogQuery(terms=query.terms, phrases=query.phrases), True, 0))
    else:
        where.extend(search.contains(t, False) for t in query.text_terms())
    return where


async def _poll(
    session: AsyncSession, query: LogQuery, cursor: Cursor, high: int, batch: int
) -> tuple[list[LogRecord], int]:
    """Matching rows in (floor, high], oldest first, at most `batch` (the newest); and how
    many matching rows were left out to stay within it."""
    postgres = session.get_bind().dialect.name == "postgresql"
    where = [LogRecord.id > cursor.floor, LogRecord.id <= high, *_conditions(query, postgres)]
    stmt = select(LogRecord).where(*where).order_by(LogRecord.id.desc()).limit(batch + 1)
    rows = list((await session.execute(stmt)).scalars().all())
    skipped = 0
    if len(rows) > batch:
        rows = rows[:batch]
        counted = select(func.count()).select_from(LogRecord).where(*where)
        counted = counted.where(LogRecord.id < rows[-1].id)
        skipped = int((await session.execute(counted)).scalar_one())
    rows.reverse()
    return rows, skipped


async def _high(session: AsyncSession) -> int:
    """The id up to which every line that will ever commit is visible (not waiting: a
    poll that finds writers in flight reads up to what was confirmed before)."""
    return await visible_high_water(session, Followed.LOG_RECORDS, wait_seconds=0)


def _frame(event: str, data: bytes, event_id: int | None = None) -> bytes:
    head = f"event: {event}\n" + (f"id: {event_id}\n" if event_id is not None else "")
    return head.encode() + b"data: " + data + b"\n\n"


def _last_event_id(request: Request) -> int | None:
    raw = request.headers.get("last-event-id", "").strip()
    return int(raw) if raw.isdigit() else None


@dataclass
class TailStreams:
    """Open streams of this process (the cap)."""

    open: int = 0


def _streams(request: Request) -> TailStreams:
    streams: TailStreams | None = getattr(request.app.state, "logs_tail", None)
    if streams is None:
        streams = request.app.state.logs_tail = TailStreams()
    return streams


async def frames(
    request: Request,
    db: Database,
    query: LogQuery,
    header: dict[str, Any],
    cfg: TailSettings,
    start_after: int | None,
) -> AsyncIterator[bytes]:
    """The stream's bytes; polls until the client goes away."""
    yield b"retry: 3000\n: connected\n\n" + _frame("query", orjson.dumps(header))
    async with db.transaction() as session:
        # The stream starts after the newest line stored now (one still in flight with a
        # lower id was written before the stream began and is not part of it).
        newest = int(await session.scalar(select(func.max(LogRecord.id))) or 0)
    cursor = Cursor(floor=newest if start_after is None else max(min(start_after, newest), 0))
    wrote = time.monotonic()
    while True:
        await asyncio.sleep(cfg.poll_seconds)
        if await request.is_disconnected():
            return
        async with db.transaction() as session:
            high = await _high(session)
            rows, skipped = await _poll(session, query, cursor, high, cfg.batch)
        out = []
        if skipped:
            out.append(_frame("skipped", orjson.dumps({"skipped": skipped})))
        for row in rows:
            hit = LogHit.of(row).model_dump(mode="json")
            out.append(_frame("log", orjson.dumps(hit), row.id))
        cursor.advance(high)
        if out:
            yield b"".join(out)
            wrote = time.monotonic()
        elif time.monotonic() - wrote >= cfg.heartbeat_seconds - cfg.poll_seconds / 2:
            yield b": keep-alive\n\n"
            wrote = time.monotonic()


@router.get(
    "/tail",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
    summary="Live tail (server-sent events)",
)
async def tail_logs(
    request: Request,
    db: DatabaseDep,
    _principal: Reader,
    query: Annotated[str, Query(description="As in /search (search language or a question).")] = "",
    service_name: Annotated[list[str] | None, Query(description="Only these services.")] = None,
    level: Annotated[str | None, Query(description="Levels, e.g. ERROR or warn,error.")] = None,
    trace_id: Annotated[str | None, Query(pattern=r"^[0-9a-fA-F]{32}$")] = None,
    nl: Annotated[bool | None, Query(description="As in /search.")] = None,
) -> StreamingResponse:
    """New lines matching the query as they are stored: `event: query` first (the
    structured query), then `event: log` per line (id = record id; send `Last-Event-ID`
    to resume), `event: skipped` when a burst exceeded one batch, and a `: keep-alive`
    comment after 10 s without a line (SENTINEL_LOGS_TAIL_HEARTBEAT_SECONDS, at most 15).
    A time range in the query is ignored: a tail shows lines as they arrive."""
    cfg = TailSettings()
    runtime: LogsRuntime = request.app.state.logs
    ask = service.SearchRequest(
        text=query,
        services=service_name or [],
        levels=level,
        trace_id=trace_id.lower() if trace_id else None,
        natural=nl,
    )
    async with db.transaction() as session:
        try:
            structured, natural, notes = await service.interpret(
                session, ask, set(runtime.services)
            )
        except QuerySyntaxError as exc:
            raise BadRequest(f"The query cannot be read: {exc}") from exc
    structured = tail_query(structured)
    streams = _streams(request)
    if streams.open >= cfg.max_streams:
        raise Problem(
            f"{cfg.max_streams} live tails are open on this server "
            "(SENTINEL_LOGS_TAIL_MAX_STREAMS); close one or search instead.",
            status=429,
            slug="too-many-requests",
            headers={"Retry-After": "10"},
        )
    header = {"query": structured.as_dict(), "natural_language": natural, "interpretation": notes}

    async def counted() -> AsyncIterator[bytes]:
        streams.open += 1
        try:
            async for chunk in frames(
                request, db, structured, header, cfg, _last_event_id(request)
            ):
                yield chunk
        finally:
            streams.open -= 1

    return StreamingResponse(
        counted(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
