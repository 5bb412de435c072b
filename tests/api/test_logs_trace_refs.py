"""A trace's log lines without an index on log_records.trace_id: the derive worker notes
per batch where each trace's lines are (log_trace_refs), the reads seek those id ranges
and scan the lines it has not reached yet. On both databases."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text

from sentinel.logs import search, views
from sentinel.logs.derive import BATCH_ROWS
from sentinel.logs.query import LogQuery
from sentinel.logs.tasks import delete_before
from sentinel.storage.engine import Database
from sentinel.worker.registry import JobContext
from tests.logs_helpers import derive_now, record

H = dict[str, str]
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
OTHER = "0af7651916cd43dd8448eb211c80319c"
LAST = "ff00651916cd43dd8448eb211c80319c"
NS = 10**9


async def _ingest(client: httpx.AsyncClient, headers: H, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), 5000):
        response = await client.post("/api/logs/ingest", json=rows[i : i + 5000], headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["accepted"] == len(rows[i : i + 5000]), response.text


async def _trace(client: httpx.AsyncClient, headers: H, trace_id: str) -> list[str]:
    response = await client.get(f"/api/logs/trace/{trace_id}", headers=headers)
    if response.status_code == 404:
        return []
    assert response.status_code == 200, response.text
    return [i["message"] for i in response.json()["items"]]


async def _search(client: httpx.AsyncClient, headers: H, **params: Any) -> list[str]:
    response = await client.get("/api/logs/search", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [i["message"] for i in response.json()["items"]]


async def _refs(db: Database, trace_id: str) -> list[tuple[int, int]]:
    async with db.transaction() as session:
        rows = await session.execute(
            text(
                "SELECT first_id, last_id FROM log_trace_refs WHERE trace_id = :t ORDER BY first_id"
            ),
            {"t": trace_id},
        )
        return [(int(a), int(b)) for a, b in rows.all()]


def _spread(now: float, count: int, traced_at: dict[int, str]) -> list[dict[str, Any]]:
    """`count` untraced lines, except line i carries trace traced_at[i]; times ascend."""
    rows = []
    for i in range(count):
        trace = traced_at.get(i)
        message = f"step {i} of {trace[:4]}" if trace else f"noise {i}"
        fields: dict[str, Any] = {"timestamp": now - count + i}
        if trace:
            fields["trace_id"] = trace
        rows.append(record(message, **fields))
    return rows


async def test_a_trace_is_found_before_and_after_the_worker_and_across_its_batches(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H, db: Database
) -> None:
    # Two full batches and 1,000 lines more: the worker takes three batches. The trace has
    # lines in each, and another trace's lines sit between them (inside the same ranges).
    b = BATCH_ROWS
    traced_at = {3: TRACE, 4: OTHER, b - 1: TRACE, b + 1: TRACE, b + 2: OTHER, 2 * b + 500: TRACE}
    await _ingest(client, ingest_headers, _spread(time.time(), 2 * b + 1_000, traced_at))
    mine = [f"step {i} of 4bf9" for i in (3, b - 1, b + 1, 2 * b + 500)]
    newest_first = mine[::-1]
    query = f"trace_id:{TRACE}"

    # Nothing derived yet: every line is after the cursor and found by the scan.
    assert await _refs(db, TRACE) == []
    assert await _trace(client, admin_headers, TRACE) == mine
    assert await _search(client, admin_headers, query=query) == newest_first

    assert await derive_now(db) == 2 * b + 1_000
    refs = await _refs(db, TRACE)
    # One per batch that held its lines (SQLite; PostgreSQL keeps its trace id index).
    assert len(refs) == (3 if db.dialect == "sqlite" else 0)
    assert await _trace(client, admin_headers, TRACE) == mine
    assert await _search(client, admin_headers, query=query) == newest_first
    assert await _search(client, admin_headers, trace_id=TRACE, query=f"step {b + 1}") == [
        f"step {b + 1} of 4bf9"
    ]
    assert await _trace(client, admin_headers, OTHER) == ["step 4 of 0af7", f"step {b + 2} of 0af7"]

    # Lines that arrive after the worker ran join the derived ones.
    await _ingest(client, ingest_headers, [record("late step", trace_id=TRACE)])
    assert (await _trace(client, admin_headers, TRACE))[-1] == "late step"
    stats = await client.get(
        "/api/logs/statistics", params={"since": "1d", "trace_id": TRACE}, headers=admin_headers
    )
    assert stats.status_code == 200 and stats.json()["total"] == 5


async def test_retention_prunes_the_refs_of_deleted_lines(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H, db: Database, settings: Any
) -> None:
    old = time.time() - 10 * 86400
    await _ingest(
        client,
        ingest_headers,
        [
            record("old checkout step", trace_id=OTHER, timestamp=old),
            record("old payment step", trace_id=OTHER, timestamp=old + 1),
            record("old search step", trace_id=LAST, timestamp=old + 2),
            record("fresh checkout step", trace_id=TRACE),
        ],
    )
    await derive_now(db)
    kept = 1 if db.dialect == "sqlite" else 0
    assert len(await _refs(db, OTHER)) == kept and len(await _refs(db, LAST)) == kept
    async with db.transaction() as session:
        ctx = JobContext(session, 0, 1, db, settings)
        assert await delete_before(ctx, time.time_ns() - 7 * 86400 * NS) == 3
    # Retention reads the refs in slices of trace ids: the first and the last are pruned.
    assert await _refs(db, OTHER) == [] and await _refs(db, LAST) == []
    assert len(await _refs(db, TRACE)) == kept
    assert await _trace(client, admin_headers, OTHER) == []
    assert await _trace(client, admin_headers, TRACE) == ["fresh checkout step"]


def _capture(db: Database) -> tuple[list[tuple[str, Any]], Any]:
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM log_records" in statement and "trace_id" in statement:
            statements.append((statement, parameters))

    return statements, capture


@pytest.mark.parametrize("reader", ["trace view", "search"])
async def test_the_reads_seek_the_trace_ranges_not_another_index(
    client: httpx.AsyncClient, ingest_headers: H, db: Database, reader: str
) -> None:
    """With a time range, a service and a level in the search, SQLite's planner would
    rather scan one of those indexes: the trace's id ranges are what it must use."""
    now = time.time()
    traced_at = {i: TRACE for i in (*range(100, 111), 5_500)}
    await _ingest(client, ingest_headers, _spread(now, 6_000, traced_at))
    await derive_now(db)
    await _ingest(client, ingest_headers, _spread(now, 10, {5: TRACE}))
    statements, capture = _capture(db)
    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with db.transaction() as session:
            if reader == "trace view":
                assert len(await views.trace_logs(session, TRACE, 1000)) == 13
            else:
                query = LogQuery(
                    trace_id=TRACE,
                    start_ns=int((now - 7200) * NS),
                    end_ns=int((now + 60) * NS),
                    services=["checkout"],
                    levels=["INFO"],
                )
                found, _ = await search.run(
                    session,
                    query,
                    postgres=db.dialect == "postgresql",
                    indexed_through=6_000,
                    limit=50,
                    cursor=None,
                )
                assert len(found) == 13
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    assert len(statements) == 1
    statement, parameters = statements[0]
    async with db.engine.connect() as connection:
        if db.dialect == "sqlite":
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plan = " | ".join(str(r[-1]) for r in rows)
            assert "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)" in plan, plan
            assert "ix_log_records" not in plan and "SCAN log_records" not in plan, plan
        else:
            await connection.execute(text("ANALYZE log_records"))
            await connection.execute(text("SET enable_seqscan = off"))
            rows = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            plan = " | ".join(str(r[0]) for r in rows)
            assert "ix_log_records_trace" in plan, plan
