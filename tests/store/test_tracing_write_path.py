"""The span write path as ingest runs it (tracing/ingest.py), on SQLite and PostgreSQL.

On SQLite a batch is written by one call on the connection's own thread
(`Database.sqlite_write` + `writer.write_batch_sqlite`); on PostgreSQL through the session.
Both must store the same things, roll back whole, and keep SQLite's one writer at a time.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from sentinel.ingest.otlp.protocol import IngestAdmission
from sentinel.ingest.otlp.traces import decode_protobuf
from sentinel.storage.engine import Database
from sentinel.tracing.ingest import store_spans
from sentinel.tracing.metrics import RedMetrics
from sentinel.tracing.models import OperationRollup, Span, SpanResource
from sentinel.tracing.runtime import TracingRuntime
from sentinel.tracing.writer import LAST_SEEN_STEP_NS
from tests.api.test_tracing_ingest import pb_request, pb_span

GUARD = 30  # a hang guard, not a timing assertion
MINUTE = 60 * 10**9
ADD_RESOURCE = (
    "INSERT INTO span_resources (id, service, attributes, scope_name, scope_version) "
    "VALUES ({}, 's', '{{}}', '', '')"
)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    if database.dialect == "sqlite":
        # No busy handler: two writers meeting in SQLite fail at once ("database is
        # locked") instead of one sleeping until the other commits.
        @event.listens_for(database.engine.sync_engine, "connect")
        def no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=0")
            cursor.close()

    yield database
    await database.dispose()


def runtime() -> TracingRuntime:
    return TracingRuntime(admission=IngestAdmission(max_pending=10), red=RedMetrics())


def batch_at(start_ns: int, trace: int, service: str = "billing") -> Any:
    span = pb_span(trace=trace.to_bytes(16, "big"), span=b"\x02" * 8)
    span.start_time_unix_nano = start_ns
    span.end_time_unix_nano = start_ns + 1_000_000
    return decode_protobuf(pb_request(span, service=service))


async def scalar(db: Database, statement: Any) -> Any:
    async with db.transaction() as session:
        return await session.scalar(statement)


async def test_resource_last_seen_moves_forward_in_steps(db: Database) -> None:
    """Retention deletes resources by last_seen_ns: it must follow the newest span
    start, within LAST_SEEN_STEP_NS, and never move back."""
    rt = runtime()
    t0 = 1_700_000_000 * 10**9
    await store_spans(db, rt, batch_at(t0, 1))
    last_seen = select(SpanResource.last_seen_ns)
    assert await scalar(db, last_seen) == t0
    await store_spans(db, rt, batch_at(t0 + 10 * MINUTE, 2))  # within a step: unchanged
    assert await scalar(db, last_seen) == t0
    later = t0 + LAST_SEEN_STEP_NS + MINUTE
    await store_spans(db, rt, batch_at(later, 3))
    assert await scalar(db, last_seen) == later
    await store_spans(db, rt, batch_at(t0, 4))  # an old span does not move it back
    assert await scalar(db, last_seen) == later
    assert await scalar(db, select(func.count()).select_from(SpanResource)) == 1
    assert await scalar(db, select(func.count()).select_from(Span)) == 4
    assert await scalar(db, select(func.sum(OperationRollup.count))) == 4


@pytest.mark.only_on("sqlite")
async def test_a_failing_sqlite_write_rolls_back_whole(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("Database.sqlite_write is SQLite's")

    def half_then_fail(connection: sqlite3.Connection) -> None:
        connection.execute(ADD_RESOURCE.format(1))
        raise RuntimeError("the write broke")

    with pytest.raises(RuntimeError, match="the write broke"):
        await db.sqlite_write(half_then_fail)
    assert await scalar(db, select(func.count()).select_from(SpanResource)) == 0
    # The connection went back to the pool with no transaction open: the next writer,
    # with no busy handler, is not refused.
    await asyncio.wait_for(store_spans(db, runtime(), batch_at(1_700_000_000 * 10**9, 1)), GUARD)
    assert await scalar(db, select(func.count()).select_from(Span)) == 1


@pytest.mark.only_on("sqlite")
async def test_a_sqlite_write_queues_behind_the_write_in_progress(db: Database) -> None:
    """Ingest's one-call write still takes the process's write gate: it waits for a
    transaction that holds it instead of meeting it in SQLite (which, without a busy
    handler, would answer "database is locked")."""
    if db.dialect != "sqlite":
        pytest.skip("the write gate is SQLite's")
    wrote, finish = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with db.write_transaction() as session:
            await session.execute(text(ADD_RESOURCE.format(7)))
            wrote.set()
            await finish.wait()

    holding = asyncio.create_task(holder())
    await wrote.wait()

    def count_resources(connection: sqlite3.Connection) -> int:
        return int(connection.execute("SELECT count(*) FROM span_resources").fetchone()[0])

    counting = asyncio.create_task(db.sqlite_write(count_resources))
    for _ in range(100_000):
        if db.write_gate.queued:
            break
        await asyncio.sleep(0)
    assert db.write_gate.queued == 1
    finish.set()
    await asyncio.wait_for(holding, GUARD)
    assert await asyncio.wait_for(counting, GUARD) == 1  # ran after the holder committed


@pytest.mark.only_on("sqlite")
async def test_a_connection_returned_mid_transaction_is_rolled_back(db: Database) -> None:
    """The pool skips its rollback on return only for connections with no transaction
    open; one returned with uncommitted driver-level writes is still rolled back."""
    if db.dialect != "sqlite":
        pytest.skip("the rollback-if-open reset is SQLite's")
    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        await db.write_gate.acquire(raw.dbapi_connection)
        driver = raw.driver_connection
        await driver.execute(ADD_RESOURCE.format(9))
        assert driver.in_transaction
    assert not db.write_gate.busy
    assert await scalar(db, select(func.count()).select_from(SpanResource)) == 0
    await asyncio.wait_for(store_spans(db, runtime(), batch_at(1_700_000_000 * 10**9, 1)), GUARD)
    assert await scalar(db, select(func.count()).select_from(SpanResource)) == 1


@pytest.mark.only_on("sqlite")
async def test_writes_that_wait_together_commit_or_fail_alone(db: Database) -> None:
    """Calls that queue while one is written run back to back on the connection's thread,
    each in its own transaction: a failing one fails only its own caller."""
    if db.dialect != "sqlite":
        pytest.skip("Database.sqlite_write is SQLite's")

    def add(connection: sqlite3.Connection, rid: int) -> int:
        connection.execute(ADD_RESOURCE.format(rid))
        if rid == 3:
            raise ValueError("resource 3 is bad")
        return rid

    results = await asyncio.wait_for(
        asyncio.gather(*(db.sqlite_write(add, rid) for rid in range(1, 7)), return_exceptions=True),
        GUARD,
    )
    assert [r if isinstance(r, int) else repr(r) for r in results] == [
        1, 2, "ValueError('resource 3 is bad')", 4, 5, 6
    ]  # fmt: skip
    async with db.transaction() as session:
        stored = (await session.scalars(select(SpanResource.id).order_by(SpanResource.id))).all()
    assert stored == [1, 2, 4, 5, 6]


async def test_batches_of_any_size_store_every_span_once(db: Database) -> None:
    """SQLite inserts spans SPANS_PER_STATEMENT to a statement, and the rest in one
    more: every span of a batch that is not a multiple of it is stored, and a resent
    batch adds nothing."""
    t0 = 1_700_000_000 * 10**9
    spans = []
    for i in range(250):
        span = pb_span(trace=(i // 5 + 1).to_bytes(16, "big"), span=(i + 1).to_bytes(8, "big"))
        span.start_time_unix_nano = t0 + i
        span.end_time_unix_nano = t0 + i + 1_000
        spans.append(span)
    body = pb_request(*spans)
    rt = runtime()
    await store_spans(db, rt, decode_protobuf(body))
    await store_spans(db, rt, decode_protobuf(body))
    assert await scalar(db, select(func.count()).select_from(Span)) == 250
    assert await scalar(db, select(func.count(func.distinct(Span.span_id)))) == 250
    assert await scalar(db, select(func.sum(OperationRollup.count))) == 250
