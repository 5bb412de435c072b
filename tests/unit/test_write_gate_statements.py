"""Which statements take SQLite's write lock, and so the process's write gate."""

from __future__ import annotations

import pytest

from sentinel.storage.write_gate import writes


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO jobs (kind) VALUES (?)",
        "  update jobs set status = ? where id = ?",
        "DELETE FROM log_records WHERE id BETWEEN ? AND ?",
        "REPLACE INTO t VALUES (1)",
        "INSERT INTO log_fts(log_fts, rowid, body) SELECT 'delete', id, body FROM log_records",
        "CREATE TABLE t (id INTEGER)",
        "DROP INDEX ix",
        "WITH due AS (SELECT id FROM jobs) UPDATE jobs SET status = 'x' WHERE id IN due",
        "BEGIN IMMEDIATE",
        "-- a comment first\nINSERT INTO t VALUES (1)",
        "/* hint */ DELETE FROM t",
    ],
)
def test_writing_statements_take_the_gate(statement: str) -> None:
    assert writes(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT 1",
        "select id from jobs where status = 'pending' limit 1",
        "WITH recent AS (SELECT id FROM spans) SELECT count(*) FROM recent",
        "PRAGMA wal_checkpoint(TRUNCATE)",
        "EXPLAIN QUERY PLAN SELECT * FROM jobs",
        "SAVEPOINT sa_savepoint_1",
        "RELEASE SAVEPOINT sa_savepoint_1",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
    ],
)
def test_reads_do_not(statement: str) -> None:
    assert not writes(statement)
