"""SLO evaluation cycles: burn-rate and predicted-breach alerts appear in the alerting
pipeline with slo/service/severity labels and resolve when the burn stops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sentinel.alerting.config import AlertingSettings
from sentinel.slo.config import SloSettings
from sentinel.slo.tasks import evaluation_cycle
from sentinel.storage.engine import Database


async def cycle(db: Database, at: datetime, **settings: Any) -> None:
    async with db.transaction() as session:
        await evaluation_cycle(session, at, SloSettings(**settings), AlertingSettings())


async def slo_alerts(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/api/alerts?limit=100", headers=headers)
    assert response.status_code == 200, response.text
    return [a for a in response.json()["items"] if a["source"] == "slo"]


async def test_burn_rate_alerts_fire_and_resolve(
    client: httpx.AsyncClient,
    db: Database,
    admin_headers: dict[str, str],
    ingest_headers: dict[str, str],
) -> None:
    created = await client.post(
        "/api/slo",
        headers=admin_headers,
        json={
            "name": "api-availability",
            "service": "api",
            "target": 0.999,
            "labels": {"team": "core"},
        },
    )
    slo_id = created.json()["id"]
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    # 10% errors against 0.1% allowed: burn 100, far above every threshold.
    await client.post(
        f"/api/slo/{slo_id}/measurements",
        headers=ingest_headers,
        json={"good": 900, "total": 1000, "timestamp": now.isoformat()},
    )
    await cycle(db, now + timedelta(seconds=30))

    alerts = await slo_alerts(client, admin_headers)
    by_severity = {a["labels"]["severity"]: a for a in alerts}
    assert set(by_severity) == {"page", "ticket"}
    page = by_severity["page"]
    assert page["status"] == "firing"
    assert page["severity"] == "critical"
    assert page["labels"]["slo"] == "api-availability"
    assert page["labels"]["service"] == "api"
    assert page["labels"]["team"] == "core"
    assert page["labels"]["alertname"] == "SLOErrorBudgetBurn"
    assert page["current_value"] == pytest.approx(100)
    # Both page conditions fire; the alert carries the one exceeded the most (6h/30m at 6).
    assert page["threshold_value"] == pytest.approx(6.0)
    assert "6h/30m" in page["title"]
    status = (await client.get(f"/api/slo/{slo_id}/status", headers=admin_headers)).json()
    states = {s["condition"]: s["state"] for s in status["alert_state"]}
    assert states == {"page": "firing", "ticket": "firing"}

    # A second cycle re-sends: still one alert per severity, not a new one.
    await cycle(db, now + timedelta(minutes=1))
    assert len(await slo_alerts(client, admin_headers)) == 2

    # 35 minutes on, the 5m and 30m short windows are quiet: the pages resolve, the
    # ticket (1d/2h, 3d/6h) keeps firing.
    await cycle(db, now + timedelta(minutes=35))
    alerts = {a["labels"]["severity"]: a["status"] for a in await slo_alerts(client, admin_headers)}
    assert alerts == {"page": "resolved", "ticket": "firing"}
    # After 6h the 2h and 6h short windows are quiet too.
    await cycle(db, now + timedelta(hours=6, minutes=5))
    alerts = {a["labels"]["severity"]: a["status"] for a in await slo_alerts(client, admin_headers)}
    assert alerts == {"page": "resolved", "ticket": "resolved"}


async def test_low_traffic_does_not_page(
    client: httpx.AsyncClient,
    db: Database,
    admin_headers: dict[str, str],
    ingest_headers: dict[str, str],
) -> None:
    created = await client.post(
        "/api/slo",
        headers=admin_headers,
        json={"name": "rare", "service": "batch", "target": 0.99, "alerting": {"min_events": 20}},
    )
    slo_id = created.json()["id"]
    now = datetime.now(UTC)
    await client.post(
        f"/api/slo/{slo_id}/measurements",
        headers=ingest_headers,
        json={"good": 0, "total": 1, "timestamp": now.isoformat()},
    )
    await cycle(db, now)
    assert await slo_alerts(client, admin_headers) == []
    status = (await client.get(f"/api/slo/{slo_id}/status", headers=admin_headers)).json()
    assert all(c["guarded"] and not c["firing"] for c in status["conditions"])


async def test_predicted_breach_alert_from_the_trend(
    client: httpx.AsyncClient,
    db: Database,
    admin_headers: dict[str, str],
    ingest_headers: dict[str, str],
) -> None:
    created = await client.post(
        "/api/slo",
        headers=admin_headers,
        json={
            "name": "orders",
            "service": "orders",
            "target": 0.99,
            # Only the breach alert, so the test sees it alone.
            "alerting": {"conditions": [], "predict_horizon": "3d"},
        },
    )
    slo_id = created.json()["id"]
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    # A quiet month (a million good requests), then a day at 20% errors, hour by hour.
    batch = [
        {"good": 1_000_000, "total": 1_000_000, "timestamp": (now - timedelta(days=29)).isoformat()}
    ]
    batch += [
        {
            "good": 800,
            "total": 1000,
            "timestamp": (now - timedelta(hours=24 - k, minutes=30)).isoformat(),
        }
        for k in range(25)
    ]
    posted = await client.post(
        f"/api/slo/{slo_id}/measurements", headers=ingest_headers, json={"measurements": batch}
    )
    assert posted.status_code == 200, posted.text
    for k in range(25):
        await cycle(db, now - timedelta(hours=24 - k), snapshot_minutes=60)

    alerts = await slo_alerts(client, admin_headers)
    assert [a["labels"]["alertname"] for a in alerts] == ["SLOPredictedBreach"]
    assert alerts[0]["labels"]["slo"] == "orders" and alerts[0]["status"] == "firing"
    assert alerts[0]["current_value"] < 72  # hours to exhaustion, inside the horizon


async def test_deleting_an_slo_resolves_its_alerts(
    client: httpx.AsyncClient,
    db: Database,
    admin_headers: dict[str, str],
    ingest_headers: dict[str, str],
) -> None:
    created = await client.post(
        "/api/slo", headers=admin_headers, json={"name": "gone", "service": "x", "target": 0.9}
    )
    slo_id = created.json()["id"]
    now = datetime.now(UTC)
    await client.post(
        f"/api/slo/{slo_id}/measurements",
        headers=ingest_headers,
        json={"good": 0, "total": 100, "timestamp": now.isoformat()},
    )
    await cycle(db, now)
    assert {a["status"] for a in await slo_alerts(client, admin_headers)} == {"firing"}
    await client.delete(f"/api/slo/{slo_id}", headers=admin_headers)
    assert {a["status"] for a in await slo_alerts(client, admin_headers)} == {"resolved"}
