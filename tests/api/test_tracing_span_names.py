"""The block store's name dictionary (span_names) loses the names retention left unused,
on both databases: a service that once sent ids in its span names does not leave them
behind forever. Names still in use keep their ids, and no index row ever points at a
name that was dropped, even while a batch holding a name is still open (PostgreSQL)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select

from sentinel.app import build_registry
from sentinel.config import Settings
from sentinel.storage.dialect import dialect_name
from sentinel.storage.engine import Database
from sentinel.tracing.block_store import name_ids, prune_names
from sentinel.tracing.models import SpanIndexRow, SpanName
from sentinel.tracing.tasks import enforce_retention
from tests.conftest import make_settings

Headers = dict[str, str]
HOUR_NS = 3600 * 10**9


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "data", traces_blocks=True)


def batch(trace_id: str, base_ns: int, service: str, names: list[str]) -> dict[str, Any]:
    spans = [
        {
            "traceId": trace_id,
            "spanId": f"{i + 1:016x}",
            "name": name,
            "kind": 2,
            "startTimeUnixNano": str(base_ns + i * 1000),
            "endTimeUnixNano": str(base_ns + i * 1000 + 5_000_000),
        }
        for i, name in enumerate(names)
    ]
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]}


async def send(client: httpx.AsyncClient, headers: Headers, body: dict[str, Any]) -> None:
    response = await client.post("/v1/traces", json=body, headers=headers)
    assert response.status_code == 200, response.text


async def names(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        rows = (await session.execute(select(SpanName.name, SpanName.id))).all()
        return {name: id_ for name, id_ in rows}


async def dangling(db: Database) -> int:
    """Index rows whose service or operation name is not in the dictionary."""
    known = select(SpanName.id)
    async with db.transaction() as session:
        stmt = select(func.count()).where(
            SpanIndexRow.service_id.not_in(known) | SpanIndexRow.name_id.not_in(known)
        )
        return int(await session.scalar(stmt) or 0)


async def test_retention_drops_names_no_index_row_uses(
    client: httpx.AsyncClient, ingest_headers: Headers, admin_headers: Headers, db: Database
) -> None:
    assert "tracing.span-names" in {task.name for task in build_registry().periodic}
    now = time.time_ns()
    old, new = "a" * 32, "b" * 32
    legacy = ["GET /order/1001", "GET /order/1002", "GET /health"]
    await send(client, ingest_headers, batch(old, now - 10 * 24 * HOUR_NS, "orders", legacy))
    await send(client, ingest_headers, batch(new, now - HOUR_NS, "web", ["GET /health"]))
    before = await names(db)
    assert set(before) == {"orders", "web", *legacy}

    async with db.write_transaction() as session:
        await enforce_retention(session, timedelta(days=7), now)
        assert await prune_names(session) == 3
    after = await names(db)
    # The old batch's own names are gone; the shared one keeps its id.
    assert after == {"web": before["web"], "GET /health": before["GET /health"]}
    assert await dangling(db) == 0
    trace = await client.get(f"/api/tracing/traces/{new}", headers=admin_headers)
    assert trace.status_code == 200, trace.text
    assert (trace.json()["root_service"], trace.json()["root_operation"]) == ("web", "GET /health")
    assert (
        await client.get(f"/api/tracing/traces/{old}", headers=admin_headers)
    ).status_code == 404

    # Nothing more to drop; a name that comes back is added again and read back.
    async with db.write_transaction() as session:
        assert await prune_names(session) == 0
    await send(client, ingest_headers, batch("c" * 32, now, "orders", ["GET /order/1001"]))
    assert {"orders", "GET /order/1001"} <= set(await names(db))
    assert await dangling(db) == 0
    back = await client.get(f"/api/tracing/traces/{'c' * 32}", headers=admin_headers)
    assert back.status_code == 200
    assert (back.json()["root_service"], back.json()["root_operation"]) == (
        "orders",
        "GET /order/1001",
    )


@pytest.mark.only_on("postgresql")
async def test_a_name_held_by_an_open_batch_is_not_dropped(
    client: httpx.AsyncClient, ingest_headers: Headers, db: Database
) -> None:
    """A batch looked 'orders' up while its last index rows were expiring; until it commits
    its rows that use the id are invisible, and pruning must not drop the name."""
    async with db.transaction() as session:
        if dialect_name(session) != "postgresql":
            pytest.skip("SQLite: the batch holds the single write lock from its lookup on")
    now = time.time_ns()
    await send(client, ingest_headers, batch("d" * 32, now - 10 * 24 * HOUR_NS, "orders", ["x"]))
    async with db.write_transaction() as session:
        await enforce_retention(session, timedelta(days=7), now)
    async with db.write_transaction() as ingest:
        await ingest.execute(select(1))  # the writer opens the transaction through SQLAlchemy
        ids = await name_ids(ingest, {"orders", "x"})  # then write_block looks names up
        async with db.write_transaction() as retention:
            # The batch holds the names: pruning gives up after its lock timeout.
            assert await prune_names(retention) == 0
        row = {"block_id": 0, "position": 0, "trace_key": 1, "span_key": 1, "parent_key": 0}
        row |= {"start_ns": now, "duration_ns": 1, "flags": 0}
        await ingest.execute(
            insert(SpanIndexRow).values(service_id=ids["orders"], name_id=ids["x"], **row)
        )
    async with db.write_transaction() as retention:
        assert await prune_names(retention) == 0  # in use now
    assert (await names(db)) == ids
    assert await dangling(db) == 0
