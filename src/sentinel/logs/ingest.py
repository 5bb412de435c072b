"""Log ingest: one decoded batch becomes durable rows before the caller answers 2xx."""

from __future__ import annotations

from sentinel.logs import writer
from sentinel.logs.records import LogBatch
from sentinel.logs.runtime import LogsRuntime
from sentinel.storage.engine import Database


async def store_logs(db: Database, runtime: LogsRuntime, batch: LogBatch) -> None:
    """Commit the batch's rows; returns only once they are durable.

    The full-text index and the patterns follow from the derive cursor (the worker),
    so the request pays only for the raw insert.
    """
    if not batch.rows:
        return
    async with runtime.admission.writing():
        if db.dialect == "sqlite":
            await db.sqlite_write(writer.insert_rows_sqlite, batch.rows)
        else:
            async with db.write_transaction() as session:
                await writer.insert_rows(session, batch.rows)
    runtime.saw(batch.services)
