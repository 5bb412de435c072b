"""endsAt in the Alertmanager views (GET /api/v2/alerts and /api/v2/alerts/groups), on both
databases. Alertmanager gives an alert sent without an end `endsAt = last update +
resolve_timeout`, so an active alert's endsAt is in the future; clients (amtool, Grafana,
karma) read a past endsAt as resolved. Alerts whose sender gives no end and expects no
timeout (the brief's API, webhooks, rules) stay active until resolved, so they report the
resolve timeout from now; a sender's own endsAt is reported as sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from sentinel.alerting.config import AlertingSettings
from sentinel.alerting.models import Alert
from sentinel.storage.engine import Database

H = dict[str, str]
TIMEOUT = timedelta(seconds=120)  # not the default (300 s): the setting is what counts


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def by_name(alerts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {a["labels"]["alertname"]: a for a in alerts}


async def send_all(client: httpx.AsyncClient, ingest: H, sender_end: datetime) -> None:
    brief = await client.post(
        "/api/alerts",
        headers=ingest,
        json={"service_name": "api", "alert_name": "BriefApi", "severity": "high"},
    )
    assert brief.status_code == 201, brief.text
    webhook = await client.post(
        "/api/integrations/alertmanager",
        headers=ingest,
        json={
            "version": "4",
            "status": "firing",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "FromWebhook", "job": "node"},
                    "annotations": {},
                    "startsAt": iso(datetime.now(UTC) - timedelta(hours=2)),
                    "endsAt": "0001-01-01T00:00:00Z",
                }
            ],
        },
    )
    assert webhook.status_code == 200, webhook.text
    pushed = await client.post(
        "/api/v2/alerts",
        headers=ingest,
        json=[
            {"labels": {"alertname": "WithEnd", "job": "node"}, "endsAt": iso(sender_end)},
            {"labels": {"alertname": "WithoutEnd", "job": "node"}},
        ],
    )
    assert pushed.status_code == 200, pushed.text


async def test_active_alerts_report_an_end_in_the_future_whatever_their_source(
    app: Any, client: httpx.AsyncClient, admin_headers: H, ingest_headers: H, db: Database
) -> None:
    app.state.alerting = AlertingSettings(resolve_timeout_seconds=TIMEOUT.total_seconds())
    sender_end = (datetime.now(UTC) + timedelta(minutes=10)).replace(microsecond=0)
    sent_at = datetime.now(UTC)
    await send_all(client, ingest_headers, sender_end)
    # The brief's and the webhook's alerts were last heard of an hour ago: still firing.
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    async with db.transaction() as session:
        await session.execute(
            update(Alert)
            .where(Alert.alert_name.in_(["BriefApi", "FromWebhook"]))
            .values(last_seen_at=hour_ago, updated_at=hour_ago)
        )

    before = datetime.now(UTC)
    listed = await client.get("/api/v2/alerts", headers=admin_headers)
    grouped = await client.get("/api/v2/alerts/groups", headers=admin_headers)
    after = datetime.now(UTC)
    assert listed.status_code == 200 and grouped.status_code == 200
    in_groups = by_name([a for g in grouped.json() for a in g["alerts"]])
    for view in (by_name(listed.json()), in_groups):
        assert set(view) == {"BriefApi", "FromWebhook", "WithEnd", "WithoutEnd"}
        for name in ("BriefApi", "FromWebhook"):
            ends = parse(view[name]["endsAt"])
            assert before + TIMEOUT - timedelta(seconds=1) <= ends <= after + TIMEOUT, name
            assert view[name]["status"]["state"] == "active"
        assert parse(view["WithEnd"]["endsAt"]) == sender_end
        # Sent without endsAt: it expires after the resolve timeout unless re-sent.
        ends = parse(view["WithoutEnd"]["endsAt"])
        assert sent_at + TIMEOUT - timedelta(seconds=1) <= ends <= before + TIMEOUT
        for alert in view.values():
            assert parse(alert["endsAt"]) > after, alert["labels"]["alertname"]
            assert parse(alert["endsAt"]) > parse(alert["startsAt"])


async def test_an_alert_resolved_in_sentinel_leaves_the_views(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H
) -> None:
    await send_all(client, ingest_headers, datetime.now(UTC) + timedelta(minutes=10))
    items = (await client.get("/api/alerts?alert_name=BriefApi", headers=admin_headers)).json()
    [brief] = [a for a in items["items"] if a["alert_name"] == "BriefApi"]
    done = await client.post(f"/api/alerts/{brief['id']}/resolve", headers=admin_headers)
    assert done.status_code == 200 and done.json()["ends_at"] == done.json()["resolved_at"]
    listed = by_name((await client.get("/api/v2/alerts", headers=admin_headers)).json())
    assert set(listed) == {"FromWebhook", "WithEnd", "WithoutEnd"}
