"""OTLP exports through the ingest pool (SQLite): spawned ingest processes decode and
write them, each write in its turn at the serving process's write gate. A client sees
what it sees in-process (200 once committed, partialSuccess, 400 for a malformed body,
the trace, the RED metrics), and a 503 with Retry-After when its process dies."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from sqlalchemy import text

from sentinel.config import Settings
from sentinel.ingest.pool import IngestPool, _Process
from sentinel.logs.tasks import derive_in_pool
from sentinel.storage.engine import Database
from tests.api.test_tracing_ingest import PB, pb_request, pb_span, span_count
from tests.api.test_tracing_resent_spans import red_metrics
from tests.conftest import make_settings
from tests.logs_helpers import record
from tests.tracing_samples import otlp_json_trace

pytestmark = pytest.mark.only_on("sqlite")

H = dict[str, str]
TRACE = bytes.fromhex("7a2c0d5e9b1f4c3a8d6e0f1a2b3c4d5e")
ROOT, CALL, PAY = bytes.fromhex("a1" * 8), bytes.fromhex("b2" * 8), bytes.fromhex("c3" * 8)
DEADLINE = 60.0  # seconds; generous: a spawned process imports sentinel first


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "data", ingest_processes=2)


@pytest.fixture
def pool(app: Any) -> IngestPool:
    ingest_pool: IngestPool | None = app.state.ingest_pool
    assert ingest_pool is not None and ingest_pool.size == 2
    return ingest_pool


def checkout_trace() -> bytes:
    """frontend's GET /checkout -> its client span -> checkout's POST /pay (error)."""
    root = pb_span(TRACE, ROOT, name="GET /checkout")
    call = pb_span(
        TRACE, CALL, parent_span_id=ROOT, name="POST checkout", kind=Span.SPAN_KIND_CLIENT
    )
    error = Status(code=Status.STATUS_CODE_ERROR, message="card declined")
    pay = pb_span(TRACE, PAY, parent_span_id=CALL, name="POST /pay", status=error)
    # Concatenated protobuf messages merge: one export with a resource per service.
    return pb_request(root, call, service="frontend") + pb_request(pay, service="checkout")


async def send_pb(client: httpx.AsyncClient, headers: H, body: bytes) -> httpx.Response:
    return await client.post("/v1/traces", content=body, headers={**headers, **PB})


async def warm_up(client: httpx.AsyncClient, headers: H) -> None:
    """One export first: the key's first use of the app writes its last-used time in this
    process, which must not queue behind a gate the test holds."""
    assert (await send_pb(client, headers, pb_request(pb_span()))).status_code == 200


async def waiting_for_turn(pool: IngestPool) -> _Process:
    """The ingest process that has decoded a body and asked for its turn to write."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        asking = [p for p in pool._processes if p.turn is not None]
        if asking:
            return asking[0]
        await asyncio.sleep(0.01)
    raise AssertionError("no ingest process asked for a turn at the write gate")


async def test_a_protobuf_trace_is_stored_and_counted_on_metrics(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H, pool: IngestPool
) -> None:
    response = await send_pb(client, ingest_headers, checkout_trace())
    assert response.status_code == 200, response.content
    assert not ExportTraceServiceResponse.FromString(response.content).HasField("partial_success")
    found = await client.get(f"/api/tracing/traces/{TRACE.hex()}", headers=admin_headers)
    assert found.status_code == 200, found.text
    trace = found.json()
    assert (trace["span_count"], trace["error_count"]) == (3, 1)
    assert trace["services"] == {"frontend": 2, "checkout": 1}
    (root,) = trace["roots"]
    (call,) = root["children"]
    (pay,) = call["children"]
    assert [(s["span_id"], s["service"], s["operation"]) for s in (root, call, pay)] == [
        (ROOT.hex(), "frontend", "GET /checkout"),
        (CALL.hex(), "frontend", "POST checkout"),
        (PAY.hex(), "checkout", "POST /pay"),
    ]
    assert pay["error"] and pay["status_message"] == "card declined" and not root["error"]
    # Counted by the ingest process, shown by the serving one.
    red = red_metrics((await client.get("/metrics")).text)
    assert red["red spans"] == {
        ("frontend", "GET /checkout"): 1.0,
        ("frontend", "POST checkout"): 1.0,
        ("checkout", "POST /pay"): 1.0,
    }
    assert red["red errors"] == {("checkout", "POST /pay"): 1.0}
    assert red["red durations"] == 3.0


async def test_the_serving_process_checkpoints_what_the_ingest_processes_wrote(
    client: httpx.AsyncClient, ingest_headers: H, pool: IngestPool, app: Any, tmp_path: Path
) -> None:
    """The ingest processes and the serving process write with SQLite's automatic
    checkpoint off (it would run in the writer's turn at the write lock); a thread of the
    serving process copies the WAL's pages into the database file beside them, so the WAL
    does not grow and the file alone holds the exports shortly after."""
    db: Database = app.state.db
    assert db.checkpointer is not None
    async with db.sessions() as session:  # nor does this process checkpoint in its turn
        assert (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0
    response = await send_pb(client, ingest_headers, checkout_trace())
    assert response.status_code == 200, response.content
    copy = tmp_path / "without-wal.db"  # what copying the database file alone gives
    deadline = time.monotonic() + DEADLINE
    while True:
        shutil.copyfile(pool.database_path, copy)
        with sqlite3.connect(copy) as connection:
            (stored,) = connection.execute(
                "SELECT count(*) FROM spans WHERE trace_id = ?", (TRACE.hex(),)
            ).fetchone()
        if stored == 3:
            break
        assert time.monotonic() < deadline, f"{stored} spans in the file without its WAL"
        await asyncio.sleep(0.05)


async def test_a_bad_span_is_rejected_and_the_good_ones_stored(
    client: httpx.AsyncClient, ingest_headers: H, db: Database, pool: IngestPool
) -> None:
    document = otlp_json_trace()
    document["resourceSpans"][1]["scopeSpans"][0]["spans"][1]["spanId"] = "abcd"  # 2 bytes
    response = await client.post("/v1/traces", json=document, headers=ingest_headers)
    assert response.status_code == 200, response.text
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "spanId" in partial["errorMessage"]
    assert await span_count(db) == 3


async def test_a_malformed_body_gets_400_and_the_pool_keeps_serving(
    client: httpx.AsyncClient, ingest_headers: H, db: Database, pool: IngestPool
) -> None:
    response = await send_pb(client, ingest_headers, checkout_trace()[:-7])
    assert response.status_code == 400
    assert b"protobuf" in response.content
    assert await span_count(db) == 0
    response = await send_pb(client, ingest_headers, checkout_trace())
    assert response.status_code == 200, response.content
    assert await span_count(db) == 3


async def test_otlp_logs_are_stored_and_read_back_by_trace(
    app: Any, client: httpx.AsyncClient, ingest_headers: H, admin_headers: H, pool: IngestPool
) -> None:
    def line(message: str, when: str) -> dict[str, Any]:
        return {"timeUnixNano": when, "body": {"stringValue": message}, "traceId": TRACE.hex()}

    now = time.time_ns()
    document = {
        "resourceLogs": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "payments"}}]
                },
                "scopeLogs": [
                    {
                        "logRecords": [
                            line("charge started", str(now - 2_000_000)),
                            line("card declined", str(now - 1_000_000)),
                            line("never stored", "soon"),
                        ]
                    }
                ],
            }
        ]
    }
    response = await client.post("/v1/logs", json=document, headers=ingest_headers)
    assert response.status_code == 200, response.text
    assert response.json()["partialSuccess"]["rejectedLogRecords"] == "1"
    found = await client.get(f"/api/logs/trace/{TRACE.hex()}", headers=admin_headers)
    assert found.status_code == 200, found.text
    items = found.json()["items"]
    assert sorted(i["message"] for i in items) == ["card declined", "charge started"]
    assert {i["service_name"] for i in items} == {"payments"}
    # The services the ingest process saw reach the serving process (the NL parser's names).
    assert "payments" in app.state.logs.services


async def test_the_log_derive_worker_runs_in_the_ingest_processes(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H, db: Database, pool: IngestPool
) -> None:
    """With the pool, the derive worker's batches (full-text index, patterns, trace refs)
    are read, mined and written in the ingest processes, off the serving process's GIL.
    Batches alternate between the two processes, each with a miner of its own that
    reloads the patterns when the other wrote the last batch: every line counts once."""
    now = time.time()
    for batch in range(4):
        rows = [
            record(f"GET /api/orders/{batch * 10 + i} served in {i + 3} ms", timestamp=now - 5)
            for i in range(10)
        ]
        rows.append(record(f"disk full on volume vol{batch}", level="ERROR", timestamp=now - 5))
        # Two exports, then the derive batch: idle processes take jobs in turn, so the
        # batches go to one process, then the other.
        for part in (rows[:5], rows[5:]):
            response = await client.post("/api/logs/ingest", json=part, headers=ingest_headers)
            assert response.status_code == 200, response.text
        assert await derive_in_pool(db, pool) == 11
    assert await derive_in_pool(db, pool) == 0  # caught up
    response = await client.get("/api/logs/patterns", headers=admin_headers)
    assert response.status_code == 200, response.text
    counts = {p["template"]: p["count"] for p in response.json()["items"]}
    assert counts["GET /api/orders/<NUM> served in <NUM> ms"] == 40
    assert sum(n for t, n in counts.items() if t.startswith("disk full on volume")) == 4
    search = await client.get(
        "/api/logs/search", params={"q": "disk", "limit": 10}, headers=admin_headers
    )
    assert search.status_code == 200, search.text
    hits = sorted(i["message"] for i in search.json()["items"])
    assert hits == [f"disk full on volume vol{b}" for b in range(4)]


async def test_the_write_waits_for_its_turn_at_the_write_gate(
    client: httpx.AsyncClient, ingest_headers: H, db: Database, pool: IngestPool
) -> None:
    await warm_up(client, ingest_headers)
    async with db.write_transaction():
        export = asyncio.create_task(send_pb(client, ingest_headers, checkout_trace()))
        asking = await waiting_for_turn(pool)
        assert not asking.writing and not export.done()
        assert await span_count(db) == 1  # nothing of it written while the gate is held
    response = await asyncio.wait_for(export, DEADLINE)
    assert response.status_code == 200, response.content
    assert await span_count(db) == 4


async def test_a_killed_ingest_process_fails_its_request_with_503_and_is_replaced(
    client: httpx.AsyncClient, ingest_headers: H, db: Database, pool: IngestPool
) -> None:
    await warm_up(client, ingest_headers)
    async with db.write_transaction():  # the export stays in its process, waiting to write
        export = asyncio.create_task(send_pb(client, ingest_headers, checkout_trace()))
        killed = await waiting_for_turn(pool)
        assert killed.process.pid is not None
        os.kill(killed.process.pid, signal.SIGKILL)
        response = await asyncio.wait_for(export, DEADLINE)
    assert response.status_code == 503, response.content
    assert response.headers["retry-after"] == "1"
    assert await span_count(db) == 1  # nothing of the lost export

    deadline = time.monotonic() + DEADLINE
    while (response := await send_pb(client, ingest_headers, checkout_trace())).status_code != 200:
        assert time.monotonic() < deadline, response.content
        await asyncio.sleep(0.1)
    assert await span_count(db) == 4
    # Two processes again: two exports at once are both stored.
    bodies = [pb_request(pb_span(span=bytes([i]) * 8)) for i in (5, 6)]
    answers = await asyncio.gather(*(send_pb(client, ingest_headers, b) for b in bodies))
    assert [a.status_code for a in answers] == [200, 200]
    assert await span_count(db) == 6
    assert len(pool._processes) == 2 and killed not in pool._processes
    assert all(p.process.is_alive() for p in pool._processes)
    health = (await client.get("/health")).json()["ingest_processes"]
    assert (health["configured"], health["running"], health["replaced"]) == (2, 2, 1)
    assert killed.process.pid not in health["pids"]
