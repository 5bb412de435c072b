"""Span ingest: one decoded batch becomes durable rows, rollups and RED metrics."""

from __future__ import annotations

import asyncio

from sentinel.storage.engine import Database
from sentinel.tracing import blocks, rollup, writer
from sentinel.tracing.records import SpanBatch
from sentinel.tracing.runtime import TracingRuntime


async def store_spans(db: Database, runtime: TracingRuntime, batch: SpanBatch) -> None:
    """Commit the batch's spans and rollups; returns only once they are durable.

    Raises Overloaded never: admission is the caller's job; this waits for a writer slot
    (PostgreSQL) or the database's write gate (SQLite).
    """
    if not batch.rows:
        return
    # Grouped before the transaction; the writer regroups only when it drops spans that
    # were already stored or repeated, and hands back what it counted.
    groups = rollup.group_operations(batch.rows)
    block = None
    if runtime.blocks:
        # zlib lets go of the GIL: the other core compresses while the loop serves.
        block = await asyncio.to_thread(blocks.encode, batch.rows, batch.resources)
    if block is None and db.dialect == "sqlite":
        # One call on the connection's thread: the loop is not needed between statements.
        groups = await db.sqlite_write(writer.write_batch_sqlite, batch, groups)
    else:
        async with runtime.admission.writing(), db.write_transaction() as session:
            groups = await writer.write_batch(session, batch, groups, block)
    runtime.red.observe(groups)
