"""The block store (SENTINEL_TRACES_BLOCKS=on): the trace view and the Jaeger trace read
from blocks answer exactly what they answer from span rows, on both databases."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span
from sqlalchemy import delete, func, select

from sentinel.config import Settings
from sentinel.storage.engine import Database
from sentinel.tracing.models import Span as SpanRow
from sentinel.tracing.models import SpanBlock, SpanIndexRow, SpanName
from sentinel.tracing.tasks import enforce_retention
from tests.api.test_tracing_jaeger import (  # noqa: F401  (run again with blocks on)
    test_missing_trace_is_a_jaeger_404,
    test_search_with_jaeger_parameters,
    test_trace_by_id_in_jaeger_model,
)
from tests.api.test_tracing_reads import (  # noqa: F401  (run again with blocks on)
    stored,
    test_brief_create_trace_and_span,
    test_trace_view_errors,
    test_trace_view_is_a_tree_with_self_time_and_critical_path,
)
from tests.conftest import make_settings
from tests.tracing_samples import TRACE_ID, otlp_json_trace

Headers = dict[str, str]
HOUR_NS = 3600 * 10**9


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "data", traces_blocks=True)


def _protobuf_trace(trace: bytes, base_ns: int) -> bytes:
    """Two resources, scopes with long names, odd kinds and statuses, events and links."""
    long_name = "op-" + "x" * 300

    def span(span_id: int, parent: int, name: str, **kw: Any) -> Span:
        return Span(
            trace_id=trace,
            span_id=span_id.to_bytes(8, "big"),
            parent_span_id=parent.to_bytes(8, "big") if parent else b"",
            name=name,
            start_time_unix_nano=base_ns + span_id * 1000,
            end_time_unix_nano=base_ns + span_id * 1000 + 5_000_000,
            **kw,
        )

    web = ResourceSpans(
        scope_spans=[
            ScopeSpans(
                spans=[
                    span(1, 0, "GET /", kind=2),  # type: ignore[arg-type]
                    span(2, 1, long_name, kind=7),  # type: ignore[arg-type]
                ]
            )
        ]
    )
    web.resource.attributes.append(KeyValue(key="service.name", value=AnyValue(string_value="web")))
    web.scope_spans[0].scope.name = "s" * 300
    web.scope_spans[0].scope.version = "v" * 120
    child = span(3, 2, "SELECT", kind=3)  # type: ignore[arg-type]
    child.status.code = 2  # type: ignore[assignment]
    child.status.message = "m" * 9000
    child.attributes.append(KeyValue(key="db.system", value=AnyValue(string_value="postgresql")))
    child.events.add(time_unix_nano=base_ns + 3500, name="retry")
    child.links.add(trace_id=b"\x09" * 16, span_id=b"\x08" * 8)
    db = ResourceSpans(scope_spans=[ScopeSpans(spans=[child, child])])  # repeated: stored once
    db.resource.attributes.append(KeyValue(key="service.name", value=AnyValue(string_value="db")))
    return ExportTraceServiceRequest(resource_spans=[web, db]).SerializeToString()


async def _send(client: httpx.AsyncClient, headers: Headers, body: bytes | dict[str, Any]) -> None:
    if isinstance(body, bytes):
        kind = {**headers, "Content-Type": "application/x-protobuf"}
        response = await client.post("/v1/traces", content=body, headers=kind)
    else:
        response = await client.post("/v1/traces", json=body, headers=headers)
    assert response.status_code == 200, response.text


async def _views(client: httpx.AsyncClient, headers: Headers, trace_ids: list[str]) -> list[Any]:
    out = []
    for trace_id in trace_ids:
        for path in (f"/api/tracing/traces/{trace_id}", f"/jaeger/api/traces/{trace_id}"):
            response = await client.get(path, headers=headers)
            body = response.json()
            body.pop("request_id", None)  # a problem's, new each time
            out.append((path, response.status_code, body))
    search = await client.get(
        "/jaeger/api/traces", params={"service": "checkout", "limit": 20}, headers=headers
    )
    return [*out, ("search", search.status_code, search.json())]


async def _count(db: Database, model: type) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_blocks_answer_exactly_what_rows_answer(
    app: Any, client: httpx.AsyncClient, ingest_headers: Headers, admin_headers: Headers
) -> None:
    base = time.time_ns() - 60 * 10**9
    pb_trace = "ab" * 16
    # Its halves swapped: the same trace key as TRACE_ID, another trace: never mixed up.
    twin = TRACE_ID[16:] + TRACE_ID[:16]
    await _send(client, ingest_headers, otlp_json_trace())
    await _send(client, ingest_headers, otlp_json_trace(twin, base, error=False))
    await _send(client, ingest_headers, _protobuf_trace(bytes.fromhex(pb_trace), base))
    await _send(client, ingest_headers, _protobuf_trace(bytes.fromhex(pb_trace), base))  # resent
    created = await client.post(
        "/api/tracing/traces",
        json={"service_name": "api", "operation_name": "GET /x", "status_code": 503,
              "start_time": "2026-01-01T10:00:00", "end_time": "2026-01-01T10:00:01"},
        headers=ingest_headers,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    api_trace = created.json()["trace_id"]
    trace_ids = [TRACE_ID, twin, pb_trace, api_trace, "cd" * 16]

    from_blocks = await _views(client, admin_headers, trace_ids)
    app.state.tracing.blocks = False
    from_rows = await _views(client, admin_headers, trace_ids)
    assert from_blocks == from_rows
    assert [status for _, status, _ in from_rows] == [200] * 8 + [404, 404, 200]
    # The resent export was stored once in both stores.
    assert await _count(app.state.db, SpanIndexRow) == await _count(app.state.db, SpanRow) == 12
    assert await _count(app.state.db, SpanBlock) == 4

    # Without the span rows the blocks alone still give the same traces by id (search
    # finds its hits in the rows until slice 3 of docs/storage-shape.md).
    app.state.tracing.blocks = True
    async with app.state.db.write_transaction() as session:
        await session.execute(delete(SpanRow))
    assert (await _views(client, admin_headers, trace_ids))[:-1] == from_blocks[:-1]


async def test_traces_stored_before_blocks_were_on_are_read_from_rows(
    app: Any, client: httpx.AsyncClient, ingest_headers: Headers, admin_headers: Headers
) -> None:
    app.state.tracing.blocks = False
    await _send(client, ingest_headers, otlp_json_trace())
    assert await _count(app.state.db, SpanBlock) == 0
    before = await _views(client, admin_headers, [TRACE_ID])
    app.state.tracing.blocks = True
    assert await _views(client, admin_headers, [TRACE_ID]) == before
    assert before[0][1] == 200


async def test_retention_deletes_expired_blocks_and_index_rows(
    client: httpx.AsyncClient, ingest_headers: Headers, admin_headers: Headers, db: Database
) -> None:
    now = time.time_ns()
    await _send(client, ingest_headers, otlp_json_trace("a" * 32, now - 10 * 24 * HOUR_NS))
    await _send(client, ingest_headers, otlp_json_trace("b" * 32, now - HOUR_NS))
    names = await _count(db, SpanName)
    async with db.write_transaction() as session:
        await enforce_retention(session, timedelta(days=7), now)
    assert await _count(db, SpanBlock) == 1 and await _count(db, SpanIndexRow) == 4
    expired = await client.get(f"/api/tracing/traces/{'a' * 32}", headers=admin_headers)
    assert expired.status_code == 404
    kept = await client.get(f"/api/tracing/traces/{'b' * 32}", headers=admin_headers)
    assert kept.status_code == 200 and kept.json()["span_count"] == 4
    # Names stay: later batches refer to them.
    assert await _count(db, SpanName) == names > 0
