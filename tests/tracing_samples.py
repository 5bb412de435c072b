"""Hand-written OTLP trace payloads shared by the tracing tests."""

from __future__ import annotations

import time
from typing import Any

TRACE_ID = "5b8efff798038103d269b633813fc60c"
ROOT_ID = "eee19b7ec3c1b174"
CHILD_ID = "eee19b7ec3c1b173"
DB_ID = "0102030405060708"


def otlp_json_trace(
    trace_id: str = TRACE_ID, base_ns: int | None = None, *, error: bool = True
) -> dict[str, Any]:
    """frontend (server) -> frontend (client) -> checkout (server, error) -> a DB client
    span naming an untraced peer. int64 as strings and numbers, an unknown field."""
    base = base_ns or time.time_ns() - 5_000_000_000
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [
                        {"key": "service.name", "value": {"stringValue": "frontend"}},
                        {"key": "host.name", "value": {"stringValue": "web-1"}},
                    ]
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "manual", "version": "1.0"},
                        "spans": [
                            {
                                "traceId": trace_id,
                                "spanId": ROOT_ID,
                                "name": "GET /checkout",
                                "kind": 2,
                                "startTimeUnixNano": str(base),
                                "endTimeUnixNano": str(base + 100_000_000),
                                "attributes": [
                                    {"key": "http.request.method", "value": {"stringValue": "GET"}},
                                    {"key": "http.route", "value": {"stringValue": "/checkout"}},
                                    {
                                        "key": "http.response.status_code",
                                        "value": {"intValue": "500"},
                                    },
                                    {"key": "customer.tier", "value": {"stringValue": "gold"}},
                                ],
                                "status": {"code": 2, "message": "upstream failed"},
                                "someFutureField": {"ignored": True},
                            },
                            {
                                "traceId": trace_id,
                                "spanId": "aaaaaaaaaaaaaaa1",
                                "parentSpanId": ROOT_ID,
                                "name": "POST checkout",
                                "kind": 3,
                                "startTimeUnixNano": base + 10_000_000,
                                "endTimeUnixNano": base + 90_000_000,
                                "attributes": [
                                    {"key": "peer.service", "value": {"stringValue": "checkout"}}
                                ],
                            },
                        ],
                    }
                ],
            },
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]
                },
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": trace_id,
                                "spanId": CHILD_ID,
                                "parentSpanId": "aaaaaaaaaaaaaaa1",
                                "name": "POST /pay",
                                "kind": 2,
                                "startTimeUnixNano": str(base + 20_000_000),
                                "endTimeUnixNano": str(base + 80_000_000),
                                "status": {"code": 2 if error else 0},
                                "events": [
                                    {
                                        "timeUnixNano": str(base + 70_000_000),
                                        "name": "exception",
                                        "attributes": [
                                            {
                                                "key": "exception.type",
                                                "value": {"stringValue": "CardDeclined"},
                                            }
                                        ],
                                    }
                                ],
                            },
                            {
                                "traceId": trace_id,
                                "spanId": DB_ID,
                                "parentSpanId": CHILD_ID,
                                "name": "SELECT payments",
                                "kind": 3,
                                "startTimeUnixNano": str(base + 30_000_000),
                                "endTimeUnixNano": str(base + 50_000_000),
                                "attributes": [
                                    {"key": "db.system", "value": {"stringValue": "postgresql"}},
                                    {"key": "server.address", "value": {"stringValue": "pg-main"}},
                                    {"key": "db.rows", "value": {"intValue": 3}},
                                    {"key": "retry", "value": {"boolValue": False}},
                                    {"key": "ratio", "value": {"doubleValue": 0.5}},
                                ],
                            },
                        ]
                    }
                ],
            },
        ]
    }
