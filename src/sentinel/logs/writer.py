"""The log write path: raw rows through the driver's own executemany, in the caller's
transaction. SQLAlchemy's per-row parameter handling would cost more than the insert.

On PostgreSQL the transaction first takes log_records' commit-order lock (see
storage/commit_order.py), in place of the statement that opens it anyway: readers that
follow the table by id (the derive worker, the live tail) then never pass a line whose
transaction commits late."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.logs.records import LOG_COLUMNS, LogRow
from sentinel.storage import commit_order, multirow
from sentinel.storage.dialect import dialect_name

_COLUMNS = ", ".join(LOG_COLUMNS)
_SQLITE = f"INSERT INTO log_records ({_COLUMNS}) VALUES ({', '.join('?' for _ in LOG_COLUMNS)})"  # noqa: S608
_POSTGRES = (
    f"INSERT INTO log_records ({_COLUMNS}) "  # noqa: S608
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(LOG_COLUMNS) + 1))})"
)


async def driver_connection(session: AsyncSession) -> Any:
    """The DB-API driver's connection under the session's transaction (opened first)."""
    connection = await session.connection()
    # A statement through SQLAlchemy opens the transaction the raw inserts then join.
    await connection.execute(text("SELECT 1"))
    raw = await connection.get_raw_connection()
    return raw.driver_connection


ROWS_PER_STATEMENT = multirow.rows_per_statement(len(LOG_COLUMNS))


def insert_rows_sqlite(connection: sqlite3.Connection, rows: list[LogRow]) -> None:
    """SQLite: insert decoded rows on the raw connection, inside the caller's transaction
    (`Database.sqlite_write` runs this on the connection's own thread: one hand-over per
    batch, and a hundred rows per statement)."""
    multirow.insert_many(connection, _SQLITE, rows, len(LOG_COLUMNS), ROWS_PER_STATEMENT)


def insert_flat_sqlite(connection: sqlite3.Connection, rows: multirow.Flat) -> None:
    """`insert_rows_sqlite` of rows flattened beforehand (`multirow.flatten` with
    ROWS_PER_STATEMENT)."""
    multirow.insert_flat(connection, _SQLITE, len(LOG_COLUMNS), rows)


async def insert_rows(session: AsyncSession, rows: list[LogRow]) -> None:
    """Insert decoded rows; the caller's transaction commits them."""
    if not rows:
        return
    if dialect_name(session) != "postgresql":
        await (await driver_connection(session)).executemany(_SQLITE, rows)
        return
    # The lock statement opens the transaction the raw inserts then join (no extra trip).
    await commit_order.writing(session, commit_order.Followed.LOG_RECORDS)
    raw = await (await session.connection()).get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.executemany(_POSTGRES, rows)
