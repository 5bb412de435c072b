"""POST /v1/traces: OTLP/HTTP protobuf and JSON, partialSuccess, and every bad body."""

from __future__ import annotations

import gzip
import time
from typing import Any

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span
from sqlalchemy import func, select

from sentinel.storage.engine import Database
from sentinel.tracing import payload
from sentinel.tracing.models import OperationRollup
from sentinel.tracing.models import Span as SpanRow
from tests.tracing_samples import CHILD_ID, ROOT_ID, TRACE_ID, otlp_json_trace

PB = {"Content-Type": "application/x-protobuf"}


def pb_request(*spans: Span, service: str = "billing") -> bytes:
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(
                    attributes=[KeyValue(key="service.name", value=AnyValue(string_value=service))]
                ),
                scope_spans=[ScopeSpans(spans=list(spans))],
            )
        ]
    ).SerializeToString()


def pb_span(trace: bytes = b"\x01" * 16, span: bytes = b"\x02" * 8, **kw: Any) -> Span:
    now = time.time_ns()
    return Span(
        trace_id=trace,
        span_id=span,
        name=kw.pop("name", "charge"),
        kind=kw.pop("kind", Span.SpanKind.SPAN_KIND_SERVER),
        start_time_unix_nano=now - 2_000_000,
        end_time_unix_nano=now,
        **kw,
    )


def attributes_of(row: SpanRow) -> dict[str, Any]:
    return payload.attributes(payload.decode(row.payload))


async def span_count(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(SpanRow)) or 0)


async def test_json_export_is_stored_before_the_answer(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], db: Database
) -> None:
    response = await client.post("/v1/traces", json=otlp_json_trace(), headers=ingest_headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {}
    async with db.transaction() as session:
        rows = {r.span_id: r for r in (await session.scalars(select(SpanRow))).all()}
        rollups = (await session.scalars(select(OperationRollup))).all()
    assert set(rows) == {ROOT_ID, CHILD_ID, "aaaaaaaaaaaaaaa1", "0102030405060708"}
    root = rows[ROOT_ID]
    assert root.trace_id == TRACE_ID and root.parent_span_id == ""
    assert (root.service, root.name, root.kind) == ("frontend", "GET /checkout", 2)
    assert (root.http_method, root.http_route, root.http_status_code) == ("GET", "/checkout", 500)
    assert root.is_error and root.status_message == "upstream failed"
    assert root.duration_ns == 100_000_000
    assert attributes_of(root)["customer.tier"] == "gold"
    db_span = rows["0102030405060708"]
    assert db_span.db_system == "postgresql" and db_span.peer_service == "pg-main"
    assert attributes_of(db_span) == {
        "db.system": "postgresql",
        "server.address": "pg-main",
        "db.rows": 3,
        "retry": False,
        "ratio": 0.5,
    }
    assert payload.events(payload.decode(rows[CHILD_ID].payload))[0]["name"] == "exception"
    assert sum(r.count for r in rollups) == 4 and sum(r.error_count for r in rollups) == 2


async def test_protobuf_export_answers_in_protobuf(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], db: Database
) -> None:
    body = pb_request(pb_span(attributes=[KeyValue(key="k", value=AnyValue(int_value=7))]))
    response = await client.post("/v1/traces", content=body, headers={**ingest_headers, **PB})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    parsed = ExportTraceServiceResponse.FromString(response.content)
    assert not parsed.HasField("partial_success")
    assert await span_count(db) == 1


async def test_gzip_body_and_resent_spans_are_stored_once(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], db: Database
) -> None:
    body = gzip.compress(pb_request(pb_span()))
    headers = {**ingest_headers, **PB, "Content-Encoding": "gzip"}
    for _ in range(2):
        assert (await client.post("/v1/traces", content=body, headers=headers)).status_code == 200
    assert await span_count(db) == 1


async def test_empty_request_is_ok(
    client: httpx.AsyncClient, ingest_headers: dict[str, str]
) -> None:
    response = await client.post("/v1/traces", content=b"", headers={**ingest_headers, **PB})
    assert response.status_code == 200
    response = await client.post("/v1/traces", json={}, headers=ingest_headers)
    assert response.status_code == 200 and response.json() == {}


async def test_bad_spans_are_rejected_and_counted_json(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], db: Database
) -> None:
    document = otlp_json_trace()
    spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[1]["spanId"] = "abcd"  # 2 bytes: wrong length
    spans.append({"traceId": "zz" * 16, "spanId": "01" * 8})  # not hex
    spans.append({**spans[0], "spanId": "02" * 8, "startTimeUnixNano": "soon"})
    response = await client.post("/v1/traces", json=document, headers=ingest_headers)
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "3"
    assert "spanId" in partial["errorMessage"]
    assert await span_count(db) == 3


async def test_bad_spans_are_rejected_and_counted_protobuf(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], db: Database
) -> None:
    body = pb_request(
        pb_span(),
        pb_span(trace=b"\x01" * 8, span=b"\x03" * 8),  # 8-byte trace id
        pb_span(trace=b"\x00" * 16, span=b"\x04" * 8),  # all-zero trace id
    )
    response = await client.post("/v1/traces", content=body, headers={**ingest_headers, **PB})
    assert response.status_code == 200
    parsed = ExportTraceServiceResponse.FromString(response.content)
    assert parsed.partial_success.rejected_spans == 2
    assert "traceId" in parsed.partial_success.error_message
    assert await span_count(db) == 1


async def test_malformed_bodies_get_400_and_change_nothing(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], db: Database
) -> None:
    truncated = pb_request(pb_span())[:-7]
    response = await client.post("/v1/traces", content=truncated, headers={**ingest_headers, **PB})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/x-protobuf"
    assert b"protobuf" in response.content  # google.rpc.Status with a readable message
    for body in (b"{not json", b"[1, 2]", b'{"resourceSpans": 5}'):
        response = await client.post(
            "/v1/traces",
            content=body,
            headers={**ingest_headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 400, body
        assert response.json()["code"] == 3 and response.json()["status"] == 400
    assert await span_count(db) == 0


async def test_other_content_types_get_415(
    client: httpx.AsyncClient, ingest_headers: dict[str, str]
) -> None:
    for content_type in ("text/plain", "application/xml", ""):
        response = await client.post(
            "/v1/traces", content=b"hello", headers={**ingest_headers, "Content-Type": content_type}
        )
        assert response.status_code == 415, content_type
        assert response.headers["content-type"] == "application/problem+json"


async def test_gzip_bomb_gets_413(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], db: Database
) -> None:
    bomb = gzip.compress(b"\x00" * (64 * 1024 * 1024))  # 64 MiB of zeros in ~64 KiB
    headers = {**ingest_headers, **PB, "Content-Encoding": "gzip"}
    response = await client.post("/v1/traces", content=bomb, headers=headers)
    assert response.status_code == 413
    assert await span_count(db) == 0


async def test_export_needs_an_ingest_key(
    client: httpx.AsyncClient, key_with: Any, db: Database
) -> None:
    body = pb_request(pb_span())
    assert (await client.post("/v1/traces", content=body, headers=PB)).status_code == 401
    reader = await key_with("read")
    response = await client.post("/v1/traces", content=body, headers={**reader, **PB})
    assert response.status_code == 403
    wrong = {"Authorization": "Bearer snt_not_a_real_key_at_all_000"}
    assert (
        await client.post("/v1/traces", content=body, headers={**wrong, **PB})
    ).status_code == 401
    assert await span_count(db) == 0


async def test_full_write_queue_answers_429_with_retry_after(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], app: Any
) -> None:
    admission = app.state.tracing.admission
    admission.pending = admission.max_pending  # as if max_pending requests were in flight
    try:
        response = await client.post(
            "/v1/traces", content=pb_request(pb_span()), headers={**ingest_headers, **PB}
        )
    finally:
        admission.pending = 0
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"


async def test_out_of_range_numbers_never_500(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], db: Database
) -> None:
    huge_end = pb_span(span=b"\x05" * 8)
    huge_end.end_time_unix_nano = 2**64 - 1
    huge_code = pb_span(
        span=b"\x06" * 8,
        attributes=[KeyValue(key="http.status_code", value=AnyValue(int_value=2**62))],
    )
    body = pb_request(huge_end, huge_code)
    response = await client.post("/v1/traces", content=body, headers={**ingest_headers, **PB})
    assert response.status_code == 200
    assert (
        ExportTraceServiceResponse.FromString(response.content).partial_success.rejected_spans == 1
    )
    assert await span_count(db) == 1
    document = (
        b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": 1'
        + b"0" * 30
        + b"}]}]}]}"
    )
    response = await client.post(
        "/v1/traces",
        content=document,
        headers={**ingest_headers, "Content-Type": "application/json"},
    )
    assert response.status_code in (200, 400)
    assert await span_count(db) == 1


async def test_concurrent_parent_and_child_batches_count_every_call(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    """The two ends of each call arrive in separate, concurrent requests."""
    import asyncio

    def batch(service: str, spans: list[Span]) -> bytes:
        return pb_request(*spans, service=service)

    calls = 20
    parents, children = [], []
    for i in range(calls):
        trace = (i + 1).to_bytes(16, "big")
        parents.append(
            pb_span(trace=trace, span=b"\x0a" * 8, name="call", kind=Span.SpanKind.SPAN_KIND_CLIENT)
        )
        children.append(
            pb_span(trace=trace, span=b"\x0b" * 8, parent_span_id=b"\x0a" * 8, name="serve")
        )
    headers = {**ingest_headers, **PB}
    sends = []
    for i in range(calls):
        sends.append(client.post("/v1/traces", content=batch("web", [parents[i]]), headers=headers))
        sends.append(client.post("/v1/traces", content=batch("db", [children[i]]), headers=headers))
    responses = await asyncio.gather(*sends)
    failed = [r.text for r in responses if r.status_code != 200]
    assert not failed, failed[:2]
    graph = (await client.get("/api/tracing/dependencies", headers=admin_headers)).json()
    edges = {(e["caller"], e["callee"], e["traced"]): e["call_count"] for e in graph["edges"]}
    assert edges == {("web", "db", True): calls}
