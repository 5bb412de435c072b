"""Statements sent through the database driver itself, for the ingest hot path.

SQLAlchemy's per-row parameter handling costs more than the insert itself at ingest
rates, so span writes hand their rows straight to the driver's executemany (asyncpg's
`$n` or sqlite3's `?` placeholders) inside the session's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


def insert_sql(table: str, columns: Iterable[str], postgres: bool, ignore: bool) -> str:
    cols = list(columns)
    if postgres:
        marks = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
        tail = " ON CONFLICT DO NOTHING" if ignore else ""
        return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks}){tail}"  # noqa: S608
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    marks = ", ".join("?" for _ in cols)
    return f"{verb} INTO {table} ({', '.join(cols)}) VALUES ({marks})"


async def driver_of(session: AsyncSession) -> Any:
    """The driver's connection under the session's (asyncpg, or aiosqlite's)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection
