"""Retention and rollup compaction on both databases."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import orjson
import pytest
from sqlalchemy import delete, func, select

from sentinel.storage.engine import Database
from sentinel.tracing import sketch
from sentinel.tracing.models import EdgeRollup, OperationRollup, Span, SpanResource
from sentinel.tracing.tasks import (
    RollupsRaced,
    compact_recent_rollups,
    compact_rollups,
    enforce_retention,
    read_folds,
    write_folds,
)
from tests.tracing_samples import otlp_json_trace

HOUR_NS = 3600 * 10**9


async def count(db: Database, model: type) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def resources(db: Database) -> list[dict[str, str]]:
    async with db.transaction() as session:
        stored = (await session.scalars(select(SpanResource.attributes))).all()
    return [orjson.loads(attributes) for attributes in stored]


async def test_retention_deletes_old_spans_and_rollups_only(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], db: Database
) -> None:
    now = time.time_ns()
    old = otlp_json_trace("a" * 32, now - 10 * 24 * HOUR_NS)
    fresh = otlp_json_trace("b" * 32, now - HOUR_NS)
    for document in (old, fresh):
        response = await client.post("/v1/traces", json=document, headers=ingest_headers)
        assert response.status_code == 200
    async with db.transaction() as session:
        deleted = await enforce_retention(session, timedelta(days=7), now)
    assert deleted == 4
    async with db.transaction() as session:
        traces = set((await session.scalars(select(Span.trace_id).distinct())).all())
        minutes = set((await session.scalars(select(OperationRollup.minute))).all())
    assert traces == {"b" * 32}
    assert minutes == {(now - HOUR_NS) // 60_000_000_000}
    assert await count(db, EdgeRollup) == 2  # the fresh trace's two edges


async def test_retention_deletes_resources_only_expired_spans_used(
    client: httpx.AsyncClient,
    ingest_headers: dict[str, str],
    admin_headers: dict[str, str],
    db: Database,
) -> None:
    """frontend on web-0 sent only the expired trace; checkout sent both traces."""
    now = time.time_ns()
    old = otlp_json_trace("a" * 32, now - 10 * 24 * HOUR_NS)
    old["resourceSpans"][0]["resource"]["attributes"][1]["value"]["stringValue"] = "web-0"
    for document in (old, otlp_json_trace("b" * 32, now - HOUR_NS)):
        response = await client.post("/v1/traces", json=document, headers=ingest_headers)
        assert response.status_code == 200
    assert len(await resources(db)) == 3
    async with db.transaction() as session:
        await enforce_retention(session, timedelta(days=7), now)
    assert sorted(await resources(db), key=str) == [
        {"service.name": "checkout"},
        {"host.name": "web-1", "service.name": "frontend"},
    ]
    trace = (await client.get(f"/api/tracing/traces/{'b' * 32}", headers=admin_headers)).json()
    (root,) = trace["roots"]
    assert root["resource"] == {"service.name": "frontend", "host.name": "web-1"}
    server_span = root["children"][0]["children"][0]
    assert server_span["resource"] == {"service.name": "checkout"}


async def test_compaction_folds_partial_rows_without_changing_statistics(
    client: httpx.AsyncClient,
    ingest_headers: dict[str, str],
    admin_headers: dict[str, str],
    db: Database,
) -> None:
    base = time.time_ns() - 30 * 60 * 10**9
    base -= base % 60_000_000_000  # all in one minute
    for i in range(3):  # three batches -> three partial rows per key
        document = otlp_json_trace(f"{i + 1:032x}", base + i * 1_000_000)
        response = await client.post("/v1/traces", json=document, headers=ingest_headers)
        assert response.status_code == 200
    before = (await client.get("/api/tracing/statistics", headers=admin_headers)).json()
    assert await count(db, OperationRollup) == 12
    async with db.transaction() as session:
        folded = await compact_rollups(session, time.time_ns())
    assert folded == 4 + 2  # four operations, two edges
    assert await count(db, OperationRollup) == 4
    assert await count(db, EdgeRollup) == 2
    after = (await client.get("/api/tracing/statistics", headers=admin_headers)).json()
    assert after["totals"] == before["totals"]
    async with db.transaction() as session:
        row = (await session.scalars(select(OperationRollup))).first()
    assert row is not None and sketch.decode(row.sketch).count == 3


async def test_recent_compaction_folds_the_open_minute_as_batches_arrive(
    client: httpx.AsyncClient,
    ingest_headers: dict[str, str],
    admin_headers: dict[str, str],
    db: Database,
) -> None:
    now = time.time_ns()
    minute = now - now % 60_000_000_000  # the current minute: still open

    async def send(first: int, batches: int) -> None:
        for i in range(first, first + batches):
            document = otlp_json_trace(f"{i + 1:032x}", minute + i * 1_000_000)
            response = await client.post("/v1/traces", json=document, headers=ingest_headers)
            assert response.status_code == 200

    async def totals() -> dict[str, object]:
        response = await client.get("/api/tracing/statistics", headers=admin_headers)
        return dict(response.json()["totals"])

    await send(0, 3)
    before = await totals()
    async with db.transaction() as session:
        assert await compact_rollups(session, time.time_ns()) == 0  # closed minutes only
    assert await count(db, OperationRollup) == 12
    marks: dict[str, int] = {}
    async with db.transaction() as session:
        assert await compact_recent_rollups(session, marks) == 4 + 2
    assert await count(db, OperationRollup) == 4
    assert await count(db, EdgeRollup) == 2
    assert await totals() == before

    await send(3, 2)  # two more batches into the same minute: folded into the same rows
    async with db.transaction() as session:
        assert await compact_recent_rollups(session, marks) == 4 + 2
    assert await count(db, OperationRollup) == 4
    async with db.transaction() as session:
        rows = (await session.scalars(select(OperationRollup))).all()
    assert [sketch.decode(row.sketch).count for row in rows] == [5, 5, 5, 5]
    assert (await totals())["count"] == 5 * before["count"] // 3  # type: ignore[operator]
    async with db.transaction() as session:  # nothing new since: nothing read or folded
        assert await compact_recent_rollups(session, marks) == 0


async def test_a_compaction_that_lost_a_race_changes_nothing(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], db: Database
) -> None:
    """Two runs read the same partial rows (a replica's and this one, or the two jobs);
    the one that finds some gone when it deletes must not insert its merged rows."""
    now = time.time_ns()
    minute = now - now % 60_000_000_000
    for i in range(3):
        document = otlp_json_trace(f"{i + 1:032x}", minute + i * 1_000_000)
        response = await client.post("/v1/traces", json=document, headers=ingest_headers)
        assert response.status_code == 200
    key = ("minute", "service", "name")
    with pytest.raises(RollupsRaced, match="1 of 12 span_operation_rollups rows were gone"):
        async with db.transaction() as session:
            folds = await read_folds(session, OperationRollup, key, OperationRollup.id > 0)
            taken = delete(OperationRollup).where(OperationRollup.id == folds.ids[0])
            async with db.transaction() as other:  # the other run takes one row meanwhile
                await other.execute(taken)
            await write_folds(session, folds)
    assert await count(db, OperationRollup) == 11  # only the other run's delete stands
    async with db.transaction() as session:
        assert await compact_recent_rollups(session, {}) == 4 + 2
    assert await count(db, OperationRollup) == 4
