"""Log ingest over HTTP: the brief's REST API, NDJSON, Loki push (gzip), OTLP/HTTP, and
bad input (4xx or partial success with counts, nothing acknowledged lost)."""

from __future__ import annotations

import gzip
import time
from typing import Any

import httpx
import orjson
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from sqlalchemy import text

from sentinel.logs.records import MAX_BODY_CHARS
from sentinel.storage.engine import Database
from tests.logs_helpers import record

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


async def _count(db: Database) -> int:
    async with db.transaction() as session:
        return int((await session.execute(text("SELECT count(*) FROM log_records"))).scalar_one())


async def test_brief_example_one_record(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    body = {
        "timestamp": "2024-05-01T12:00:00Z",
        "service_name": "my-service",
        "level": "ERROR",
        "message": "error database connection refused",
        "trace_id": TRACE,
        "span_id": SPAN,
        "attributes": {"db.system": "postgresql"},
    }
    response = await client.post("/api/logs/ingest", json=body, headers=ingest_headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1, "rejected": 0, "errors": []}
    # The brief's search example finds it.
    found = await client.get(
        "/api/logs/search",
        params={
            "query": "error database connection",
            "service_name": "my-service",
            "level": "ERROR",
            "limit": 100,
        },
        headers=admin_headers,
    )
    assert found.status_code == 200, found.text
    hit = found.json()["items"][0]
    assert hit["message"] == "error database connection refused"
    assert hit["trace_id"] == TRACE and hit["span_id"] == SPAN
    assert hit["trace_url"] == f"/api/tracing/traces/{TRACE}"
    assert hit["attributes"] == {"db.system": "postgresql"}
    assert hit["timestamp"].startswith("2024-05-01T12:00:00")


async def test_batch_with_bad_records_is_a_partial_success(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], db: Database
) -> None:
    batch = [
        record("fine one", level="warning"),
        record("bad time", timestamp="yesterday-ish"),
        {"service_name": "x"},  # no message
        record("far future", timestamp=time.time() + 10 * 86400),
        record("bad trace", trace_id="xyz"),
        record("fine two", level=17),
    ]
    response = await client.post("/api/logs/ingest", json={"logs": batch}, headers=ingest_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, 4)
    assert any("timestamp" in e for e in body["errors"])
    assert await _count(db) == 2


async def test_all_rejected_is_422_and_stores_nothing(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], db: Database
) -> None:
    response = await client.post(
        "/api/logs/ingest", json=[{"no": "message"}], headers=ingest_headers
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["rejected"] == 1
    assert await _count(db) == 0


@pytest.mark.parametrize("payload", [b"{not json", b"[]", b'"just a string"x'])
async def test_malformed_json_is_400(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], payload: bytes, db: Database
) -> None:
    response = await client.post(
        "/api/logs/ingest",
        content=payload,
        headers={**ingest_headers, "content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert await _count(db) == 0


async def test_huge_lines_are_cut_and_attribute_floods_capped(
    client: httpx.AsyncClient,
    ingest_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    flood = {f"k{i}": i for i in range(1000)}
    batch = [record("x" * (MAX_BODY_CHARS + 5000)), record("flood", attributes=flood)]
    response = await client.post("/api/logs/ingest", json=batch, headers=ingest_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] == 2 and body["rejected"] == 0
    assert any("cut" in e for e in body["errors"])
    found = await client.get("/api/logs/search", params={"limit": 10}, headers=admin_headers)
    items = {i["message"][:5]: i for i in found.json()["items"]}
    assert len(items["xxxxx"]["message"]) == MAX_BODY_CHARS
    assert len(items["flood"]["attributes"]) == 128


async def test_ndjson(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], db: Database
) -> None:
    lines = [orjson.dumps(record(f"line {i}")) for i in range(5)] + [b"not json", b""]
    response = await client.post(
        "/api/logs/ingest",
        content=b"\n".join(lines),
        headers={**ingest_headers, "content-type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 5 and response.json()["rejected"] == 1
    assert await _count(db) == 5


def _loki(now_ns: int) -> dict[str, Any]:
    return {
        "streams": [
            {
                "stream": {"job": "payments", "env": "prod"},
                "values": [
                    [str(now_ns), 'level=error msg="card declined" order=42'],
                    [str(now_ns + 1), "all good", {"trace_id": TRACE}],
                ],
            },
            {
                "stream": {"service_name": "search", "level": "warning"},
                "values": [[str(now_ns + 2), "slow query took 1200ms"]],
            },
        ]
    }


async def test_loki_push_gzip(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    now_ns = time.time_ns()
    response = await client.post(
        "/loki/api/v1/push",
        content=gzip.compress(orjson.dumps(_loki(now_ns))),
        headers={
            **ingest_headers,
            "content-type": "application/json",
            "content-encoding": "gzip",
        },
    )
    assert response.status_code == 204, response.text
    found = await client.get("/api/logs/search", params={"limit": 10}, headers=admin_headers)
    items = {i["message"]: i for i in found.json()["items"]}
    declined = items['level=error msg="card declined" order=42']
    assert declined["service_name"] == "payments" and declined["level"] == "ERROR"
    assert declined["attributes"] == {"job": "payments", "env": "prod"}
    assert items["all good"]["trace_id"] == TRACE
    assert items["slow query took 1200ms"]["service_name"] == "search"
    assert items["slow query took 1200ms"]["level"] == "WARN"


async def test_loki_bad_input(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], db: Database
) -> None:
    headers = {**ingest_headers, "content-type": "application/json"}
    assert (
        await client.post("/loki/api/v1/push", content=b"{}", headers=headers)
    ).status_code == 400
    protobuf = {**ingest_headers, "content-type": "application/x-protobuf"}
    assert (
        await client.post("/loki/api/v1/push", content=b"x", headers=protobuf)
    ).status_code == 415
    mixed = {
        "streams": [
            {"stream": {"job": "a"}, "values": [["nope", "x"], [str(time.time_ns()), "ok"]]}
        ]
    }
    response = await client.post("/loki/api/v1/push", json=mixed, headers=ingest_headers)
    assert response.status_code == 200
    assert response.json()["accepted"] == 1 and response.json()["rejected"] == 1
    assert await _count(db) == 1


def _otlp_request(now_ns: int) -> ExportLogsServiceRequest:
    return ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=Resource(
                    attributes=[KeyValue(key="service.name", value=AnyValue(string_value="api"))]
                ),
                scope_logs=[
                    ScopeLogs(
                        log_records=[
                            LogRecord(
                                time_unix_nano=now_ns,
                                severity_number=17,
                                severity_text="ERROR",
                                body=AnyValue(string_value="upstream timeout after 30s"),
                                trace_id=bytes.fromhex(TRACE),
                                span_id=bytes.fromhex(SPAN),
                                attributes=[
                                    KeyValue(key="http.status_code", value=AnyValue(int_value=504))
                                ],
                            ),
                            LogRecord(time_unix_nano=1, body=AnyValue(string_value="ancient")),
                            LogRecord(body=AnyValue(string_value="no time: observed now")),
                        ]
                    )
                ],
            )
        ]
    )


async def test_otlp_protobuf_with_partial_success(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/logs",
        content=_otlp_request(time.time_ns()).SerializeToString(),
        headers={**ingest_headers, "content-type": "application/x-protobuf"},
    )
    assert response.status_code == 200
    reply = ExportLogsServiceResponse.FromString(response.content)
    assert reply.partial_success.rejected_log_records == 1
    found = await client.get(
        "/api/logs/search",
        params={"query": "http.status_code:504 timeout"},
        headers=admin_headers,
    )
    [hit] = found.json()["items"]
    assert hit["service_name"] == "api" and hit["level"] == "ERROR"
    assert hit["trace_id"] == TRACE


async def test_otlp_json_and_errors(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], db: Database
) -> None:
    document = {
        "resourceLogs": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "web"}}]
                },
                "scopeLogs": [
                    {
                        "logRecords": [
                            {
                                "timeUnixNano": str(time.time_ns()),
                                "severityNumber": "SEVERITY_NUMBER_WARN",
                                "body": {"stringValue": "disk 91% full"},
                                "traceId": TRACE,
                            },
                            {"timeUnixNano": "soon", "body": {"stringValue": "bad"}},
                        ]
                    }
                ],
            }
        ]
    }
    headers = {**ingest_headers, "content-type": "application/json"}
    response = await client.post("/v1/logs", json=document, headers=headers)
    assert response.status_code == 200
    assert response.json()["partialSuccess"]["rejectedLogRecords"] == "1"
    assert (await client.post("/v1/logs", content=b"{", headers=headers)).status_code == 400
    text_headers = {**ingest_headers, "content-type": "text/plain"}
    assert (await client.post("/v1/logs", content=b"x", headers=text_headers)).status_code == 415
    empty = await client.post("/v1/logs", content=b"{}", headers=headers)
    assert empty.status_code == 200
    assert await _count(db) == 1


async def test_ingest_needs_an_ingest_key(
    client: httpx.AsyncClient, key_with: Any, login_as: Any
) -> None:
    one = record("x")
    assert (await client.post("/api/logs/ingest", json=one)).status_code == 401
    viewer = await login_as("viewer")
    assert (await client.post("/api/logs/ingest", json=one, headers=viewer)).status_code == 403
    assert (await client.post("/loki/api/v1/push", json={}, headers=viewer)).status_code == 403
    assert (await client.post("/v1/logs", json={}, headers=viewer)).status_code == 403


async def test_otlp_huge_line_and_attribute_flood(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    flood = [KeyValue(key=f"k{i}", value=AnyValue(int_value=i)) for i in range(300)]
    request = ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                scope_logs=[
                    ScopeLogs(
                        log_records=[
                            LogRecord(
                                time_unix_nano=time.time_ns(),
                                body=AnyValue(string_value="y" * (MAX_BODY_CHARS + 1)),
                                attributes=flood,
                            )
                        ]
                    )
                ]
            )
        ]
    )
    response = await client.post(
        "/v1/logs",
        content=request.SerializeToString(),
        headers={**ingest_headers, "content-type": "application/x-protobuf"},
    )
    assert response.status_code == 200
    reply = ExportLogsServiceResponse.FromString(response.content)
    assert reply.partial_success.rejected_log_records == 0
    assert "cut" in reply.partial_success.error_message
    [hit] = (
        await client.get("/api/logs/search", params={"limit": 5}, headers=admin_headers)
    ).json()["items"]
    assert len(hit["message"]) == MAX_BODY_CHARS and len(hit["attributes"]) == 128
    assert hit["service_name"] == "unknown_service"
