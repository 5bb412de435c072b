"""Multi-row INSERTs for SQLite's write thread.

sqlite3 lets go of the GIL around every statement step and must take it back after. One
row per step (a plain executemany) makes a 1,000-row batch take the GIL back 1,000 times,
each time waiting up to the interpreter's switch interval behind the event loop's Python
(benchmarks/README.md, the traces section). `VALUES (...), (...), ...` with a hundred rows
per statement takes it back ten times, and alone costs no more than a row per step.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

# SQLite's variable limit is 32,766 since 3.32 and 999 before.
_MAX_VARIABLES = 32_766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999


def rows_per_statement(columns: int, most: int = 100) -> int:
    """How many rows of `columns` values one statement takes: `most`, within the limit."""
    return max(1, min(most, _MAX_VARIABLES // columns))


@functools.lru_cache(maxsize=256)
def values_sql(single_row_sql: str, columns: int, count: int) -> str:
    """`single_row_sql` (an INSERT whose only `VALUES (?, ...)` has `columns` marks)
    with `count` rows of marks."""
    row = "(" + ", ".join("?" for _ in range(columns)) + ")"
    if f"VALUES {row}" not in single_row_sql:
        raise ValueError(f"no 'VALUES {row}' in {single_row_sql!r}")
    return single_row_sql.replace(f"VALUES {row}", "VALUES " + ", ".join([row] * count), 1)


@dataclass(frozen=True)
class Flat:
    """Rows flattened into statement parameters: whole statements of `step` rows, and
    the rest."""

    step: int
    chunks: list[tuple[Any, ...]]
    rest: tuple[Any, ...]
    rest_rows: int


def flatten(rows: Sequence[Sequence[Any]], step: int) -> Flat:
    """The parameters `insert_flat` binds, made apart from the write (off its lock)."""
    whole = len(rows) - len(rows) % step
    flat = chain.from_iterable
    return Flat(
        step,
        [tuple(flat(rows[i : i + step])) for i in range(0, whole, step)],
        tuple(flat(rows[whole:])),
        len(rows) - whole,
    )


def insert_flat(
    connection: sqlite3.Connection, single_row_sql: str, columns: int, rows: Flat
) -> None:
    """Insert flattened rows on the raw connection, `rows.step` rows per statement."""
    if rows.chunks:
        connection.executemany(values_sql(single_row_sql, columns, rows.step), rows.chunks)
    if rows.rest_rows:
        connection.execute(values_sql(single_row_sql, columns, rows.rest_rows), rows.rest)


def insert_many(
    connection: sqlite3.Connection,
    single_row_sql: str,
    rows: Sequence[Sequence[Any]],
    columns: int,
    step: int,
) -> None:
    """Insert `rows` on the raw connection, `step` rows per statement."""
    insert_flat(connection, single_row_sql, columns, flatten(rows, step))
