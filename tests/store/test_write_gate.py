"""The process-wide write gate (storage/write_gate.py), on SQLite and PostgreSQL.

On SQLite every writer of the process queues for the single write lock in arrival order
instead of sleeping in SQLite's busy handler; on PostgreSQL the gate is not installed and
writers run side by side."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, func, select

from sentinel.auth import audit
from sentinel.auth.models import AuditEvent
from sentinel.storage.engine import Database
from sentinel.storage.write_gate import NestedWriteError

# A hang guard, not a timing assertion: the behaviour under test finishes in milliseconds.
GUARD = 30


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    if database.dialect == "sqlite":
        # No busy handler at all: a writer that met another one in SQLite would fail
        # at once with "database is locked" instead of sleeping until it is free.
        @event.listens_for(database.engine.sync_engine, "connect")
        def no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=0")
            cursor.close()

    yield database
    await database.dispose()


async def actions(db: Database, prefix: str = "") -> list[str]:
    async with db.transaction() as session:
        rows = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.startswith(prefix))
            .order_by(AuditEvent.id)
        )
        return list(rows)


async def until_queued(db: Database, writers: int) -> None:
    """Let the other tasks run until `writers` of them wait at the gate."""
    for _ in range(100_000):
        if db.write_gate.queued >= writers:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{writers} writers never queued at the gate")


async def record(db: Database, action: str, *, pause_after_first: bool = True) -> None:
    """Two writes with a pause between them: transactions overlap unless they queue."""
    async with db.transaction() as session:
        audit.record(session, None, action, "probe", "1")
        await session.flush()
        if pause_after_first:
            await asyncio.sleep(0.01)
        audit.record(session, None, action + ".second", "probe", "2")


async def test_concurrent_writers_all_commit(db: Database) -> None:
    results = await asyncio.wait_for(
        asyncio.gather(*(record(db, f"w{i}") for i in range(24)), return_exceptions=True),
        GUARD,
    )
    assert [r for r in results if r is not None] == []  # no "database is locked"
    assert len(await actions(db, "w")) == 48


async def test_writers_get_the_gate_in_arrival_order(db: Database) -> None:
    holder_wrote, finish = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with db.transaction() as session:
            audit.record(session, None, "order.holder", "probe", "0")
            await session.flush()
            holder_wrote.set()
            await finish.wait()

    async def writer(n: int) -> None:
        async with db.transaction() as session:
            audit.record(session, None, f"order.{n}", "probe", str(n))
            await session.flush()

    holding = asyncio.create_task(holder())
    await holder_wrote.wait()
    writers = []
    for n in range(1, 6):
        writers.append(asyncio.create_task(writer(n)))
        if db.write_gate.exclusive:  # let writer n queue before writer n+1 arrives
            await until_queued(db, n)
    if not db.write_gate.exclusive:  # PostgreSQL: nobody waits for the holder
        await asyncio.wait_for(asyncio.gather(*writers), GUARD)
    finish.set()
    await asyncio.wait_for(asyncio.gather(holding, *writers), GUARD)
    committed = await actions(db, "order.")
    if db.write_gate.exclusive:
        assert committed == ["order.holder", *(f"order.{n}" for n in range(1, 6))]
    else:
        assert sorted(committed) == sorted(["order.holder", *(f"order.{n}" for n in range(1, 6))])


async def test_a_failing_transaction_gives_the_gate_back(db: Database) -> None:
    with pytest.raises(RuntimeError, match="the handler broke"):
        async with db.transaction() as session:
            audit.record(session, None, "failed.write", "probe", "1")
            await session.flush()
            raise RuntimeError("the handler broke")
    assert not db.write_gate.busy
    await asyncio.wait_for(record(db, "after.failure", pause_after_first=False), GUARD)
    assert await actions(db, "after.") == ["after.failure", "after.failure.second"]
    assert await actions(db, "failed.") == []  # rolled back


async def test_a_writer_cancelled_while_waiting_or_holding_does_not_block_the_next(
    db: Database,
) -> None:
    wrote = asyncio.Event()

    async def stuck() -> None:
        async with db.transaction() as session:
            audit.record(session, None, "cancel.holder", "probe", "1")
            await session.flush()
            wrote.set()
            await asyncio.Event().wait()  # never commits: cancelled below

    holding = asyncio.create_task(stuck())
    await wrote.wait()
    waiting = asyncio.create_task(record(db, "cancel.waiter", pause_after_first=False))
    if db.write_gate.exclusive:
        await until_queued(db, 1)
        waiting.cancel()
    holding.cancel()
    await asyncio.gather(holding, waiting, return_exceptions=True)
    await asyncio.wait_for(record(db, "cancel.next", pause_after_first=False), GUARD)
    assert "cancel.next" in await actions(db, "cancel.")
    assert "cancel.holder" not in await actions(db, "cancel.")


async def test_reads_do_not_wait_for_an_open_write(db: Database) -> None:
    async with db.transaction() as writing:
        audit.record(writing, None, "read.pending", "probe", "1")
        await writing.flush()
        # While this write transaction is open, another connection reads at once.
        async with db.transaction() as reading:
            count = await asyncio.wait_for(
                reading.scalar(select(func.count()).select_from(AuditEvent)), GUARD
            )
        assert count == 0  # the uncommitted row is not visible to the reader


async def test_a_second_write_transaction_in_the_same_task(db: Database) -> None:
    """SQLite has one writer, so a task writing through two connections at once would
    wait for itself: the gate refuses at once. PostgreSQL takes both."""
    async with db.transaction() as first:
        audit.record(first, None, "nested.outer", "probe", "1")
        await first.flush()
        if db.write_gate.exclusive:
            with pytest.raises(NestedWriteError):
                async with db.transaction() as second:
                    audit.record(second, None, "nested.inner", "probe", "2")
                    await second.flush()
        else:
            async with db.transaction() as second:
                audit.record(second, None, "nested.inner", "probe", "2")
    expected = ["nested.outer"] if db.write_gate.exclusive else ["nested.inner", "nested.outer"]
    assert sorted(await actions(db, "nested.")) == expected


async def test_write_transaction_reads_what_no_other_writer_changes(db: Database) -> None:
    """A read-modify-write in `write_transaction` holds the gate from its first read, so
    concurrent increments of one counter are not lost (SQLite: the gate; PostgreSQL: the
    row lock that FOR UPDATE takes)."""
    async with db.transaction() as session:
        audit.record(session, None, "counter", "probe", "0")

    async def increment() -> None:
        async with db.write_transaction() as session:
            row = await session.scalar(
                select(AuditEvent).where(AuditEvent.action == "counter").with_for_update()
            )
            assert row is not None
            current = int(row.target_id)
            await asyncio.sleep(0.002)
            row.target_id = str(current + 1)

    await asyncio.wait_for(asyncio.gather(*(increment() for _ in range(10))), GUARD)
    async with db.transaction() as session:
        value = await session.scalar(
            select(AuditEvent.target_id).where(AuditEvent.action == "counter")
        )
    assert value == "10"
