"""Group commit (storage/group_commit.py) on SQLite and PostgreSQL: callers that wait
together share a transaction, each returns only once its item is committed, and a bad
item fails only its own caller."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.auth import audit
from sentinel.auth.models import AuditEvent
from sentinel.storage.engine import Database
from sentinel.storage.group_commit import GroupCommit
from sentinel.storage.write_gate import NestedWriteError

GUARD = 30  # a hang guard, not a timing assertion


async def committed(db: Database, action: str) -> int:
    async with db.transaction() as session:
        count = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        )
    return int(count or 0)


async def test_waiting_items_share_a_transaction_and_return_after_commit(
    database_url: str,
) -> None:
    db = Database(database_url)
    groups: list[int] = []

    async def apply(session: AsyncSession, items: Sequence[str]) -> list[int]:
        groups.append(len(items))
        for item in items:
            audit.record(session, None, item, "probe")
        return [len(item) for item in items]

    queue: GroupCommit[str, int] = GroupCommit(db, apply)
    try:

        async def submit(item: str) -> tuple[int, int]:
            result = await queue.submit(item)
            return result, await committed(db, item)  # visible as soon as it returns

        results = await asyncio.wait_for(
            asyncio.gather(*(submit(f"gc.{'x' * n}") for n in range(1, 21))), GUARD
        )
        assert results == [(3 + n, 1) for n in range(1, 21)]
        assert sum(groups) == 20 and len(groups) < 20  # the ones that waited went together
    finally:
        await db.dispose()


async def test_a_bad_item_fails_only_its_own_caller(database_url: str) -> None:
    db = Database(database_url)

    async def apply(session: AsyncSession, items: Sequence[str]) -> list[None]:
        for item in items:
            if item == "gc.bad":
                raise ValueError("this item cannot be stored")
            audit.record(session, None, item, "probe")
        return [None for _ in items]

    queue: GroupCommit[str, None] = GroupCommit(db, apply)
    try:
        items = ["gc.a", "gc.b", "gc.bad", "gc.c"]
        results = await asyncio.wait_for(
            asyncio.gather(*(queue.submit(i) for i in items), return_exceptions=True), GUARD
        )
        assert results[:2] == [None, None] and results[3] is None
        assert isinstance(results[2], ValueError)
        assert [await committed(db, i) for i in items] == [1, 1, 0, 1]
    finally:
        await db.dispose()


async def test_submitting_with_an_open_write_is_refused_on_sqlite(database_url: str) -> None:
    """The drainer would wait for the caller's open write transaction and the caller for
    the drainer: SQLite refuses at once; PostgreSQL has no single writer to wait for."""
    db = Database(database_url)

    async def apply(session: AsyncSession, items: Sequence[str]) -> list[None]:
        for item in items:
            audit.record(session, None, item, "probe")
        return [None for _ in items]

    queue: GroupCommit[str, None] = GroupCommit(db, apply)
    try:
        async with db.transaction() as session:
            audit.record(session, None, "gc.outer", "probe")
            await session.flush()
            if db.write_gate.exclusive:
                with pytest.raises(NestedWriteError):
                    await queue.submit("gc.inner")
            else:
                await asyncio.wait_for(queue.submit("gc.inner"), GUARD)
        assert await committed(db, "gc.outer") == 1
        assert await committed(db, "gc.inner") == (0 if db.write_gate.exclusive else 1)
    finally:
        await db.dispose()
