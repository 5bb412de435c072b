"""GET /api/slo/statuses: every SLO's status in one request (the web UI's SLO list),
on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.api.test_slo_api import create


async def test_statuses_list_every_slo_with_its_budget_and_pages(
    client: httpx.AsyncClient, admin_headers: dict[str, str], ingest_headers: dict[str, str]
) -> None:
    empty = await client.get("/api/slo/statuses", headers=admin_headers)
    assert empty.status_code == 200 and empty.json() == {"items": [], "next_cursor": None}
    healthy = await create(client, admin_headers, name="search-latency", service="search")
    burning = await create(client, admin_headers, name="checkout-availability", target=0.99)
    at = (datetime.now(UTC) - timedelta(minutes=3)).isoformat()
    posted = await client.post(
        f"/api/slo/{burning}/measurements",
        headers=ingest_headers,
        json={"good": 800, "total": 1000, "timestamp": at},
    )
    assert posted.status_code == 200, posted.text

    response = await client.get("/api/slo/statuses", headers=admin_headers)
    assert response.status_code == 200, response.text
    items = {s["slo_id"]: s for s in response.json()["items"]}
    assert set(items) == {healthy, burning}
    one = (await client.get(f"/api/slo/{burning}/status", headers=admin_headers)).json()
    got = items[burning]
    assert got["name"] == "checkout-availability" and got["sli"] == pytest.approx(0.8)
    assert got["error_budget"] == one["error_budget"] and got["meets_target"] is False
    assert got["burn_rates"]["5m"] == pytest.approx(20) and got["burn_rates"] == one["burn_rates"]
    assert items[healthy]["sli"] is None and items[healthy]["error_budget"]["remaining_ratio"] == 1

    first = await client.get("/api/slo/statuses", params={"limit": 1}, headers=admin_headers)
    page = first.json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = await client.get(
        "/api/slo/statuses",
        params={"limit": 1, "cursor": page["next_cursor"]},
        headers=admin_headers,
    )
    seen = {page["items"][0]["slo_id"], rest.json()["items"][0]["slo_id"]}
    assert seen == {healthy, burning}
    only = await client.get(
        "/api/slo/statuses", params={"service": "search"}, headers=admin_headers
    )
    assert [s["slo_id"] for s in only.json()["items"]] == [healthy]
    assert (await client.get("/api/slo/statuses")).status_code == 401
