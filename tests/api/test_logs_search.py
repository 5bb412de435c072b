"""Log reads: search (language, NL, index freshness, paging), patterns, errors,
statistics, trace correlation, anomalies and retention, on both databases."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from sentinel.logs.tasks import delete_before
from sentinel.storage.engine import Database
from sentinel.worker.registry import JobContext
from tests.logs_helpers import derive_now, record

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
NS = 10**9


async def _ingest(client: httpx.AsyncClient, headers: dict[str, str], rows: list[Any]) -> None:
    for i in range(0, len(rows), 5000):
        response = await client.post("/api/logs/ingest", json=rows[i : i + 5000], headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["rejected"] == 0, response.text


def _corpus(now: float) -> list[dict[str, Any]]:
    rows = []
    for i in range(40):
        rows.append(
            record(
                f"GET /api/orders/{i} served in {i * 3} ms",
                service_name="api-gateway",
                timestamp=now - 600 + i,
            )
        )
    for i in range(6):
        rows.append(
            record(
                f"connection reset by peer while reading from db-{i}",
                service_name="database",
                level="error",
                timestamp=now - 300 + i,
                attributes={"exception.type": "ConnectionResetError", "db.instance": f"db-{i}"},
            )
        )
    rows.append(
        record(
            "payment timeout after 30s for order 77",
            service_name="checkout",
            level="ERROR",
            timestamp=now - 10,
            trace_id=TRACE,
            span_id="00f067aa0ba902b7",
        )
    )
    rows.append(
        record(
            "healthcheck timeout ignored",
            service_name="checkout",
            level="WARN",
            timestamp=now - 5,
            trace_id=TRACE,
            span_id="00f067aa0ba902b8",
        )
    )
    return rows


async def _search(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    response = await client.get("/api/logs/search", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _messages(body: dict[str, Any]) -> list[str]:
    return [i["message"] for i in body["items"]]


@pytest.mark.parametrize("indexed", [False, True], ids=["before-index", "after-index"])
async def test_search_language(
    client: httpx.AsyncClient,
    ingest_headers: dict[str, str],
    admin_headers: dict[str, str],
    db: Database,
    indexed: bool,
) -> None:
    await _ingest(client, ingest_headers, _corpus(time.time()))
    if indexed:
        await derive_now(db)
    h = admin_headers
    body = await _search(client, h, query="timeout")
    assert _messages(body) == [
        "healthcheck timeout ignored",
        "payment timeout after 30s for order 77",
    ]
    assert body["index"]["pending_records"] == (0 if indexed else 48)
    assert body["natural_language"] is False and body["query"] == {"terms": ["timeout"]}
    assert _messages(await _search(client, h, query="timeout -healthcheck")) == [
        "payment timeout after 30s for order 77"
    ]
    assert len((await _search(client, h, query='"reset by peer"'))["items"]) == 6
    assert (await _search(client, h, query='"peer by reset"'))["items"] == []
    assert len((await _search(client, h, query="conn service:database level:error"))["items"]) == 6
    assert (await _search(client, h, query="conn service:checkout"))["items"] == []
    assert _messages(await _search(client, h, query="db.instance:db-3")) == [
        "connection reset by peer while reading from db-3"
    ]
    traced = await _search(client, h, query=f"trace_id:{TRACE}")
    assert [i["span_id"] for i in traced["items"]] == ["00f067aa0ba902b8", "00f067aa0ba902b7"]
    warn = await _search(client, h, level="warning", service_name="checkout")
    assert _messages(warn) == ["healthcheck timeout ignored"]
    recent = await _search(client, h, since="2m")
    assert len(recent["items"]) == 2


async def test_natural_language_search(
    client: httpx.AsyncClient,
    ingest_headers: dict[str, str],
    admin_headers: dict[str, str],
    db: Database,
) -> None:
    await _ingest(client, ingest_headers, _corpus(time.time()))
    await derive_now(db)
    body = await _search(client, admin_headers, query="show me errors from database")
    assert body["natural_language"] is True
    assert body["query"]["services"] == ["database"]
    assert body["query"]["levels"] == ["ERROR", "FATAL"]
    assert len(body["items"]) == 6 and body["interpretation"]
    body = await _search(client, admin_headers, query="find timeout issues in checkout")
    assert body["query"]["terms"] == ["timeout"] and body["query"]["services"] == ["checkout"]
    assert len(body["items"]) == 2
    body = await _search(client, admin_headers, query="errors in the last hour", nl="true")
    assert body["query"]["start_ns"] > 0 and len(body["items"]) == 7
    forced = await _search(client, admin_headers, query="show timeout", nl="false")
    assert forced["natural_language"] is False and forced["items"] == []


async def test_paging_newest_first(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    await _ingest(client, ingest_headers, _corpus(time.time()))
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"service_name": "api-gateway", "limit": 15}
        if cursor:
            params["cursor"] = cursor
        body = await _search(client, admin_headers, **params)
        seen.extend(i["time_ns"] for i in body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 40 and seen == sorted(seen, reverse=True)


async def test_bad_search_input(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    for params in (
        {"query": "level:loud"},
        {"cursor": "garbage!"},
        {"since": "forever"},
        {"trace_id": "xyz"},
        {"limit": 0},
    ):
        response = await client.get("/api/logs/search", params=params, headers=admin_headers)
        assert response.status_code in (400, 422), (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_patterns_errors_statistics(
    client: httpx.AsyncClient,
    ingest_headers: dict[str, str],
    admin_headers: dict[str, str],
    db: Database,
) -> None:
    now = time.time()
    await _ingest(client, ingest_headers, _corpus(now))
    await derive_now(db)
    response = await client.get("/api/logs/patterns", headers=admin_headers)
    assert response.status_code == 200
    patterns = {p["template"]: p for p in response.json()["items"]}
    get = patterns["GET /api/orders/<NUM> served in <NUM> ms"]
    assert get["count"] == 40 and get["services"] == ["api-gateway"]
    assert sum(v["count"] for v in get["volume"]) == 40
    reset = patterns["connection reset by peer while reading from <*>"]
    assert reset["error_count"] == 6 and reset["max_level"] == "ERROR"
    one = await client.get(f"/api/logs/patterns/{get['id']}", headers=admin_headers)
    assert one.status_code == 200 and one.json()["count"] == 40
    missing = await client.get("/api/logs/patterns/999999", headers=admin_headers)
    assert missing.status_code == 404
    # Every record carries its pattern; a filter selects a pattern's records.
    body = await _search(client, admin_headers, pattern_id=get["id"], limit=100)
    assert len(body["items"]) == 40 and {i["pattern_id"] for i in body["items"]} == {get["id"]}

    errors = await client.get("/api/logs/errors", headers=admin_headers)
    assert errors.status_code == 200
    groups = errors.json()
    assert groups[0]["exception_type"] == "ConnectionResetError" and groups[0]["count"] == 6
    assert groups[0]["services"] == ["database"] and groups[0]["sample"]["level"] == "ERROR"
    assert groups[1]["template"] == "payment timeout after 30s for order <NUM>"

    stats = await client.get(
        "/api/logs/statistics", params={"since": "15m", "step": "5m"}, headers=admin_headers
    )
    assert stats.status_code == 200, stats.text
    s = stats.json()
    assert s["total"] == 48 and s["step_seconds"] == 300
    assert s["by_level"] == {"INFO": 40, "ERROR": 7, "WARN": 1}
    assert s["by_service"]["database"] == 6
    assert sum(b["total"] for b in s["series"]) == 48
    bad = await client.get("/api/logs/statistics", params={"step": "1s"}, headers=admin_headers)
    assert bad.status_code == 400


async def test_trace_correlation(
    client: httpx.AsyncClient, ingest_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    await _ingest(client, ingest_headers, _corpus(time.time()))
    response = await client.get(f"/api/logs/trace/{TRACE.upper()}", headers=admin_headers)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["trace_url"] == f"/api/tracing/traces/{TRACE}"
    assert [i["message"][:7] for i in body["items"]] == ["payment", "healthc"]
    missing = await client.get(f"/api/logs/trace/{'1' * 32}", headers=admin_headers)
    assert missing.status_code == 404
    bad = await client.get("/api/logs/trace/nothex", headers=admin_headers)
    assert bad.status_code == 400


async def test_anomaly_scenario(
    client: httpx.AsyncClient,
    ingest_headers: dict[str, str],
    admin_headers: dict[str, str],
    db: Database,
) -> None:
    """An hour of steady traffic, then a spike of one pattern and a new error pattern:
    both are reported; the steady stream and the steady service are not."""
    minute = 60
    end = (int(time.time()) // minute) * minute - minute  # a whole minute, just gone
    rows = []
    for m in range(70):
        t = end - (69 - m) * minute
        for j in range(10 + m % 3):
            rows.append(record(f"user {j} viewed cart {m}", service_name="web", timestamp=t + j))
        spike = 60 if m >= 66 else 4
        for j in range(spike):
            rows.append(
                record(f"cache refresh took {j} ms", service_name="cache", timestamp=t + j % 50)
            )
        if m >= 67:
            for j in range(8):
                rows.append(
                    record(
                        f"segfault in worker {j} at 0x7ff{j:03x}",
                        service_name="web",
                        level="FATAL",
                        timestamp=t + j,
                    )
                )
    await _ingest(client, ingest_headers, rows)
    await derive_now(db)
    response = await client.get(
        "/api/logs/anomalies",
        params={"end": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end + 30))},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    found = response.json()["anomalies"]
    kinds = {
        (a["kind"], a["explanation"].split("'")[1] if "'" in a["explanation"] else a["subject"])
        for a in found
    }
    assert ("volume_spike", "cache refresh took <NUM> ms") in kinds
    assert ("new_pattern", "segfault in worker <NUM> at <HEX>") in kinds
    assert ("error_rate_spike", "service web") in kinds
    subjects = " ".join(a["explanation"] for a in found)
    assert "viewed cart" not in subjects  # the steady stream is not an anomaly
    assert all(a["score"] > 0 and a["window_end"] > a["window_start"] for a in found)


async def test_retention_deletes_old_lines_and_their_index(
    client: httpx.AsyncClient,
    ingest_headers: dict[str, str],
    admin_headers: dict[str, str],
    db: Database,
    settings: Any,
) -> None:
    now = time.time()
    await _ingest(
        client,
        ingest_headers,
        [record("ancient disk error", timestamp=now - 10 * 86400), record("fresh disk error")],
    )
    await derive_now(db)
    async with db.transaction() as session:
        ctx = JobContext(session, 0, 1, db, settings)
        assert await delete_before(ctx, time.time_ns() - 7 * 86400 * NS) == 1
    assert _messages(await _search(client, admin_headers, query="disk")) == ["fresh disk error"]
    await _ingest(client, ingest_headers, [record("another disk error")])
    await derive_now(db)
    assert len((await _search(client, admin_headers, query="disk"))["items"]) == 2


async def test_retention_after_a_quiet_spell_still_indexes_new_lines(
    client: httpx.AsyncClient,
    ingest_headers: dict[str, str],
    admin_headers: dict[str, str],
    db: Database,
    settings: Any,
) -> None:
    # Every line is past retention. New lines must still be indexed and searchable
    # afterwards (on SQLite, deleting the newest row would hand its id out again, below
    # the derive cursor).
    old = time.time() - 10 * 86400
    await _ingest(
        client,
        ingest_headers,
        [record(f"quiet disk error {n}", timestamp=old + n) for n in range(3)],
    )
    await derive_now(db)
    async with db.transaction() as session:
        ctx = JobContext(session, 0, 1, db, settings)
        await delete_before(ctx, time.time_ns() - 7 * 86400 * NS)
    await _ingest(client, ingest_headers, [record("woken disk error")])
    await derive_now(db)
    found = _messages(await _search(client, admin_headers, query="woken"))
    assert found == ["woken disk error"]


async def test_read_endpoints_need_read_access(
    client: httpx.AsyncClient, ingest_headers: dict[str, str]
) -> None:
    for path in (
        "/api/logs/search",
        "/api/logs/patterns",
        "/api/logs/patterns/1",
        "/api/logs/anomalies",
        "/api/logs/errors",
        "/api/logs/statistics",
        f"/api/logs/trace/{TRACE}",
    ):
        assert (await client.get(path)).status_code == 401, path
        assert (await client.get(path, headers=ingest_headers)).status_code == 403, path
