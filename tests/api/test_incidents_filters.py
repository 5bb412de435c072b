"""List filters the web UI's incident list uses: several statuses, severity, affected
service (a JSON list: containment on PostgreSQL, json_each on SQLite), on both databases."""

from __future__ import annotations

from typing import Any

import httpx

H = dict[str, str]


async def _open(client: httpx.AsyncClient, headers: H, **extra: Any) -> dict[str, Any]:
    body = {"title": "Checkout failing", "severity": "high", **extra}
    r = await client.post("/api/incidents", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def _ids(client: httpx.AsyncClient, headers: H, path: str) -> list[int]:
    r = await client.get(path, headers=headers)
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["items"]]


async def test_filters_by_statuses_severity_and_service(
    client: httpx.AsyncClient, admin_headers: H
) -> None:
    checkout = await _open(client, admin_headers, affected_services=["checkout", "payments"])
    payments = await _open(
        client, admin_headers, severity="critical", affected_services=["payments"]
    )
    odd = await _open(client, admin_headers, severity="low", affected_services=['a "quoted" é'])
    for status in ("acknowledged", "resolved"):
        r = await client.post(
            f"/api/incidents/{checkout['id']}/status",
            json={"status": status},
            headers=admin_headers,
        )
        assert r.status_code == 200, r.text
    r = await client.post(
        f"/api/incidents/{payments['id']}/status",
        json={"status": "investigating"},
        headers=admin_headers,
    )
    assert r.status_code == 200, r.text

    assert await _ids(client, admin_headers, "/api/incidents?service=payments") == [
        payments["id"],
        checkout["id"],
    ]
    assert await _ids(client, admin_headers, "/api/incidents?service=checkout") == [checkout["id"]]
    assert await _ids(client, admin_headers, "/api/incidents?service=check") == []
    assert await _ids(
        client, admin_headers, "/api/incidents?service=" + httpx.QueryParams(s='a "quoted" é')["s"]
    ) == [odd["id"]]
    # several statuses: any of them
    path = "/api/incidents?status=resolved&status=triggered"
    assert await _ids(client, admin_headers, path) == [odd["id"], checkout["id"]]
    assert await _ids(client, admin_headers, "/api/incidents?status=investigating") == [
        payments["id"]
    ]
    assert await _ids(client, admin_headers, "/api/incidents?severity=critical") == [payments["id"]]
    # /active takes the same severity and service filters, open incidents only
    assert await _ids(client, admin_headers, "/api/incidents/active?service=payments") == [
        payments["id"]
    ]
    assert await _ids(client, admin_headers, "/api/incidents/active?severity=low") == [odd["id"]]
    assert (
        await _ids(client, admin_headers, "/api/incidents/active?service=payments&severity=low")
        == []
    )


async def test_bad_filters_are_a_clear_422(client: httpx.AsyncClient, admin_headers: H) -> None:
    for path in (
        "/api/incidents?status=sleeping",
        "/api/incidents?severity=urgent",
        "/api/incidents/active?severity=urgent",
        "/api/incidents?service=" + "x" * 201,
    ):
        r = await client.get(path, headers=admin_headers)
        assert r.status_code == 422, (path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
