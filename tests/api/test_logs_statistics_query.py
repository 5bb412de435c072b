"""The volume histogram of a search: /api/logs/statistics with the search's query, on
both databases, before and after the derive worker has indexed the lines."""

from __future__ import annotations

import time
from typing import Any

import httpx

from sentinel.storage.engine import Database
from tests.logs_helpers import derive_now, record


def _lines(now: float) -> list[dict[str, Any]]:
    rows = [
        record(f"GET /cart served in {i} ms", service_name="checkout", timestamp=now - 600 + i)
        for i in range(30)
    ]
    rows += [
        record(
            "database connection pool exhausted",
            service_name="payments",
            level="error",
            timestamp=now - 120 + i,
        )
        for i in range(4)
    ]
    rows.append(record("pool resized", service_name="payments", timestamp=now - 60))
    return rows


async def _stats(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    response = await client.get(
        "/api/logs/statistics", params={"since": "15m", "step": "5m", **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_statistics_count_only_what_the_query_matches(
    client: httpx.AsyncClient,
    ingest_headers: dict[str, str],
    admin_headers: dict[str, str],
    db: Database,
) -> None:
    now = time.time()
    response = await client.post("/api/logs/ingest", json=_lines(now), headers=ingest_headers)
    assert response.status_code == 200 and response.json()["accepted"] == 35
    for indexed in (False, True):
        if indexed:
            await derive_now(db)
        everything = await _stats(client, admin_headers)
        assert everything["total"] == 35
        pool = await _stats(client, admin_headers, query='"pool exhausted"')
        assert pool["total"] == 4 and pool["by_level"] == {"ERROR": 4}, indexed
        assert sum(b["total"] for b in pool["series"]) == 4
        words = await _stats(client, admin_headers, query="pool service:payments")
        assert words["total"] == 5 and words["by_service"] == {"payments": 5}
        # Natural language, as the search reads it.
        asked = await _stats(client, admin_headers, query="errors from payments")
        assert asked["by_level"] == {"ERROR": 4} and asked["by_service"] == {"payments": 4}
        levels = await _stats(client, admin_headers, level="error,fatal")
        assert levels["total"] == 4
    bad = await client.get(
        "/api/logs/statistics", params={"query": "level:loud"}, headers=admin_headers
    )
    assert bad.status_code == 400
    assert "cannot be read" in bad.json()["detail"]
