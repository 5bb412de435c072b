"""Multi-row INSERTs on SQLite store every row, in order, whatever the batch size."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sentinel.storage import multirow

SQL = "INSERT INTO lines (n, body) VALUES (?, ?)"


@given(count=st.integers(0, 350), step=st.integers(1, 120))
def test_every_row_is_stored_once_in_order(count: int, step: int) -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE lines (id INTEGER PRIMARY KEY, n INTEGER, body TEXT)")
    rows = [(i, f"line {i}") for i in range(count)]
    multirow.insert_many(connection, SQL, rows, 2, step)
    stored = connection.execute("SELECT n, body FROM lines ORDER BY id").fetchall()
    assert stored == rows


def test_rows_per_statement_stays_under_the_variable_limit() -> None:
    assert multirow.rows_per_statement(10) == 100
    assert multirow.rows_per_statement(10_000) * 10_000 <= 32_766
    assert multirow.rows_per_statement(100_000) == 1


def test_a_statement_without_matching_marks_is_refused() -> None:
    with pytest.raises(ValueError, match="VALUES"):
        multirow.values_sql(SQL, 3, 10)
