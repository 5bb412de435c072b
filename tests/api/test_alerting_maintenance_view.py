"""Alerts muted by a maintenance window in the Alertmanager views, on both databases.

Alertmanager has no maintenance windows; the closest it has is a silence, so a window is
reported like one: `silencedBy: ["maintenance:<id>"]`, state suppressed. `silenced=false`
then hides the alert (amtool's default query), as it hides silenced ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

H = dict[str, str]


async def open_window(client: httpx.AsyncClient, admin: H, matcher: str) -> int:
    opened = (datetime.now(UTC) - timedelta(hours=1)).strftime("%H:%M")
    r = await client.post(
        "/api/alerting/maintenance-windows",
        json={
            "name": "db upgrade",
            "matchers": [matcher],
            "weekdays": list(range(7)),
            "start_time": opened,
            "duration_s": 3 * 3600,
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def names(client: httpx.AsyncClient, headers: H, path: str, **params: Any) -> list[str]:
    r = await client.get(path, params=params, headers=headers)
    assert r.status_code == 200, r.text
    found = r.json() if path.endswith("/alerts") else [a for g in r.json() for a in g["alerts"]]
    return sorted(a["labels"]["alertname"] for a in found)


async def test_a_maintenance_window_reads_as_a_silence(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H
) -> None:
    window = await open_window(client, admin_headers, 'job="db"')
    pushed = await client.post(
        "/api/v2/alerts",
        headers=ingest_headers,
        json=[
            {"labels": {"alertname": "DbUpgrading", "job": "db"}},
            {"labels": {"alertname": "ApiSlow", "job": "api"}},
        ],
    )
    assert pushed.status_code == 200, pushed.text

    for path in ("/api/v2/alerts", "/api/v2/alerts/groups"):
        assert await names(client, admin_headers, path) == ["ApiSlow", "DbUpgrading"]
        # amtool's default query: active only.
        hidden = await names(client, admin_headers, path, silenced="false", inhibited="false")
        assert hidden == ["ApiSlow"], path
        muted = await names(client, admin_headers, path, active="false")
        assert muted == ["DbUpgrading"], path
        assert await names(client, admin_headers, path, inhibited="false") == [
            "ApiSlow",
            "DbUpgrading",
        ]
    listed = (await client.get("/api/v2/alerts", headers=admin_headers)).json()
    status = {a["labels"]["alertname"]: a["status"] for a in listed}
    assert status["DbUpgrading"] == {
        "state": "suppressed",
        "silencedBy": [f"maintenance:{window}"],
        "inhibitedBy": [],
    }
    assert status["ApiSlow"] == {"state": "active", "silencedBy": [], "inhibitedBy": []}
    # The id names the window, not a silence: the silences API does not know it.
    missing = await client.get(f"/api/v2/silence/maintenance:{window}", headers=admin_headers)
    assert missing.status_code == 404
    silences = (await client.get("/api/v2/silences", headers=admin_headers)).json()
    assert silences == []

    # The window ends (deleted here): the alert is active again, in every view.
    gone = await client.delete(f"/api/alerting/maintenance-windows/{window}", headers=admin_headers)
    assert gone.status_code == 204
    assert await names(client, admin_headers, "/api/v2/alerts", silenced="false") == [
        "ApiSlow",
        "DbUpgrading",
    ]
