"""Duration-sorted trace search reads whole minutes through the minute index, never by
sorting a minute's spans, on both databases."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import httpx
from sqlalchemy import event, text

from sentinel.storage.engine import Database
from sentinel.tracing import indexes, store
from tests.api.test_tracing_duration_search import END, START, _document, _spans


def test_the_migration_creates_the_index_the_queries_use() -> None:
    migration = import_module(
        "sentinel.storage.migrations.versions.0012_tracing_spans_duration_by_minute"
    )
    assert (migration.INDEX, migration.MINUTE) == (indexes.MINUTE_INDEX, indexes.MINUTE_EXPRESSION)


async def test_whole_minutes_are_read_longest_first_from_the_minute_index(
    db: Database, client: httpx.AsyncClient, ingest_headers: dict[str, str]
) -> None:
    response = await client.post("/v1/traces", json=_document(_spans()), headers=ingest_headers)
    assert response.status_code == 200
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if f"{indexes.MINUTE_NS})" in statement:
            statements.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with db.transaction() as session:
            query = store.SpanQuery(start_ns=START, end_ns=END, service="api")
            assert await store.search_trace_ids(session, query, "duration", 5, None)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    assert statements  # the window holds whole minutes
    async with db.engine.connect() as connection:
        for statement, parameters in statements:
            if db.dialect == "sqlite":
                explain = f"EXPLAIN QUERY PLAN {statement}"
                rows = await connection.exec_driver_sql(explain, parameters)
                plan = " | ".join(str(r[-1]) for r in rows)
                assert indexes.MINUTE_INDEX in plan, plan
                assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
            else:
                await connection.execute(text("SET enable_seqscan = off"))
                rows = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
                plan = " | ".join(str(r[0]) for r in rows)
                assert indexes.MINUTE_INDEX in plan, plan
