"""Revision 0016 drops the trace-id index of log_records: on a database that already holds
lines, it first notes where each trace's derived lines are (log_trace_refs), so a trace's
logs are still found; downgrade brings the index back. On both databases."""

from __future__ import annotations

import time
from typing import Any

from alembic import command
from sqlalchemy import Connection, inspect, text

from sentinel.logs import views
from sentinel.storage import migrate
from sentinel.storage.engine import Database

BEFORE = "0015_tracing_span_blocks"
HEAD = "0016_logs_trace_refs"
TRACES = [f"{n:032x}" for n in range(1, 8)]


def _line(i: int, now_ns: int) -> dict[str, Any]:
    # Line i carries trace i % 7 on every third line: each trace's lines are spread
    # over the whole table, across several 5,000-id chunks.
    return {
        "time_ns": now_ns + i,
        "observed_ns": now_ns,
        "service": "checkout",
        "severity_number": 9,
        "severity_text": "INFO",
        "body": f"line {i}",
        "trace_id": TRACES[i % 7] if i % 3 == 0 else "",
        "span_id": "",
        "attributes": "{}",
        "resource": "{}",
    }


def _indexes(connection: Connection) -> set[str]:
    return {str(ix["name"]) for ix in inspect(connection).get_indexes("log_records")}


def _downgrade(connection: Connection) -> None:
    command.downgrade(migrate.alembic_config(connection), BEFORE)
    connection.commit()


async def test_upgrade_keeps_every_trace_found_and_downgrade_restores_the_index(
    fresh_url: str,
) -> None:
    db = Database(fresh_url)
    try:
        await migrate.upgrade(db, BEFORE)
        now_ns = time.time_ns()
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO log_records (time_ns, observed_ns, service, severity_number, "
                    "severity_text, body, trace_id, span_id, attributes, resource) VALUES "
                    "(:time_ns, :observed_ns, :service, :severity_number, :severity_text, "
                    ":body, :trace_id, :span_id, :attributes, :resource)"
                ),
                [_line(i, now_ns) for i in range(12_000)],
            )
            # The worker had derived up to line id 11,000; the rest is its lag.
            await connection.execute(
                text(
                    "INSERT INTO log_derive_cursor (name, last_id, version, updated_ns) "
                    "VALUES ('derive', 11000, 3, 0)"
                )
            )
        await migrate.upgrade(db)
        assert await migrate.current_revision(db) == HEAD
        sqlite = db.dialect == "sqlite"
        async with db.engine.connect() as connection:
            # PostgreSQL keeps the index and reads through it; the refs stay empty there.
            indexed = "ix_log_records_trace" in await connection.run_sync(_indexes)
            assert indexed is not sqlite
            refs = (
                await connection.execute(
                    text("SELECT trace_id, first_id, last_id FROM log_trace_refs")
                )
            ).all()
            lines = (
                await connection.execute(
                    text("SELECT id, trace_id FROM log_records WHERE trace_id <> ''")
                )
            ).all()
        # Every derived line lies in a range of its own trace; none goes past the cursor.
        assert bool(refs) is sqlite and all(last <= 11_000 for _t, _first, last in refs)
        for line_id, trace_id in lines:
            if sqlite and line_id <= 11_000:
                assert any(t == trace_id and a <= line_id <= b for t, a, b in refs), line_id
        # One range per trace per 5,000 ids, not an entry per line.
        assert len(refs) == (7 * 3 if sqlite else 0)
        async with db.transaction() as session:
            for trace_id in TRACES:
                found = await views.trace_logs(session, trace_id, 10_000)
                expected = [i for i in range(12_000) if i % 3 == 0 and TRACES[i % 7] == trace_id]
                assert [r.body for r in found] == [f"line {i}" for i in expected]
        async with db.engine.connect() as connection:
            await connection.run_sync(_downgrade)
            assert "ix_log_records_trace" in await connection.run_sync(_indexes)
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
            assert "log_trace_refs" not in tables
        assert await migrate.current_revision(db) == BEFORE
    finally:
        await db.dispose()
