"""Re-sent spans (OTLP retries, repeats inside one request, overlapping batches, racing
copies) count once in statistics, dependencies and the RED metrics: both databases."""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.tracing_samples import otlp_json_trace

Headers = dict[str, str]


def single_copies(traces: int = 1) -> dict[str, Any]:
    """What `traces` distinct traces of tests.tracing_samples.otlp_json_trace() show, each
    stored once: frontend's GET /checkout (error) calls checkout's POST /pay (error), which
    queries the untraced pg-main."""
    n = traces
    return {
        "statistics": {"frontend": (2 * n, n), "checkout": (2 * n, n)},
        "checkout upstream": [("frontend", True, n, n)],
        "checkout downstream": [("pg-main", False, n, 0)],
        "graph": {("frontend", "checkout", True): n, ("checkout", "pg-main", False): n},
        "red spans": {
            ("frontend", "GET /checkout"): float(n),
            ("frontend", "POST checkout"): float(n),
            ("checkout", "POST /pay"): float(n),
            ("checkout", "SELECT payments"): float(n),
        },
        "red errors": {
            ("frontend", "GET /checkout"): float(n),
            ("checkout", "POST /pay"): float(n),
        },
        "red durations": 4.0 * n,
    }


async def send(client: httpx.AsyncClient, headers: Headers, document: dict[str, Any]) -> None:
    response = await client.post("/v1/traces", json=document, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {}


def red_metrics(text: str) -> dict[str, Any]:
    spans: dict[tuple[str, str], float] = {}
    errors: dict[tuple[str, str], float] = {}
    durations = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.labels.get("service", ""), sample.labels.get("operation", ""))
            if sample.name == "sentinel_trace_spans_total":
                spans[key] = sample.value
            elif sample.name == "sentinel_trace_span_errors_total" and sample.value:
                errors[key] = sample.value
            elif sample.name == "sentinel_trace_span_duration_seconds_count":
                durations += sample.value
    return {"red spans": spans, "red errors": errors, "red durations": durations}


async def observed(client: httpx.AsyncClient, headers: Headers) -> dict[str, Any]:
    statistics = {}
    for service in ("frontend", "checkout"):
        response = await client.get(
            "/api/tracing/statistics", params={"service": service}, headers=headers
        )
        assert response.status_code == 200, response.text
        totals = response.json()["totals"]
        statistics[service] = (totals["count"], totals["error_count"])
    response = await client.get("/api/tracing/services/checkout/dependencies", headers=headers)
    assert response.status_code == 200, response.text
    deps = response.json()
    graph = (await client.get("/api/tracing/dependencies", headers=headers)).json()
    return {
        "statistics": statistics,
        "checkout upstream": [
            (e["caller"], e["traced"], e["call_count"], e["error_count"]) for e in deps["upstream"]
        ],
        "checkout downstream": [
            (e["callee"], e["traced"], e["call_count"], e["error_count"])
            for e in deps["downstream"]
        ],
        "graph": {(e["caller"], e["callee"], e["traced"]): e["call_count"] for e in graph["edges"]},
        **red_metrics((await client.get("/metrics")).text),
    }


async def test_a_resent_export_counts_once(
    client: httpx.AsyncClient, ingest_headers: Headers, admin_headers: Headers
) -> None:
    document = otlp_json_trace()
    await send(client, ingest_headers, document)
    await send(client, ingest_headers, document)
    assert await observed(client, admin_headers) == single_copies()


async def test_spans_repeated_inside_one_export_count_once(
    client: httpx.AsyncClient, ingest_headers: Headers, admin_headers: Headers
) -> None:
    document = otlp_json_trace()
    document["resourceSpans"] += copy.deepcopy(document["resourceSpans"])
    await send(client, ingest_headers, document)
    assert await observed(client, admin_headers) == single_copies()


async def test_an_export_overlapping_an_earlier_one_counts_its_new_spans_only(
    client: httpx.AsyncClient, ingest_headers: Headers, admin_headers: Headers
) -> None:
    """The caller's spans first, then a retry of the whole trace: the call to checkout
    pairs with the stored client span once, the stored spans count no second time."""
    document = otlp_json_trace()
    frontend_only = {"resourceSpans": document["resourceSpans"][:1]}
    await send(client, ingest_headers, frontend_only)
    await send(client, ingest_headers, document)
    assert await observed(client, admin_headers) == single_copies()


async def test_racing_copies_of_an_export_count_once(
    client: httpx.AsyncClient, ingest_headers: Headers, admin_headers: Headers
) -> None:
    """Copies of one export in flight together (an exporter retrying on a timeout while
    the first attempt is still being written). An earlier trace from the same resources
    comes first: a new resource's insert would otherwise hold the copies back."""
    await send(client, ingest_headers, otlp_json_trace("1" * 32))
    document = otlp_json_trace("2" * 32)
    await asyncio.gather(*(send(client, ingest_headers, document) for _ in range(8)))
    assert await observed(client, admin_headers) == single_copies(traces=2)


async def test_an_export_of_thousands_of_traces_is_stored(
    client: httpx.AsyncClient, ingest_headers: Headers, admin_headers: Headers
) -> None:
    """A Collector batch of 8,000 single-span traces is stored whole (on PostgreSQL its
    traces' write locks are taken as at most 256 slot locks, not 8,000)."""
    base = time.time_ns() - 60_000_000_000
    spans = [
        {
            "traceId": f"{i + 1:032x}",
            "spanId": f"{i + 1:016x}",
            "name": "GET /health",
            "kind": 2,
            "startTimeUnixNano": str(base + i),
            "endTimeUnixNano": str(base + i + 1_000_000),
        }
        for i in range(8_000)
    ]
    document = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "probe"}}]
                },
                "scopeSpans": [{"spans": spans}],
            }
        ]
    }
    await send(client, ingest_headers, document)
    response = await client.get(
        "/api/tracing/statistics", params={"service": "probe"}, headers=admin_headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["totals"]["count"] == 8_000
