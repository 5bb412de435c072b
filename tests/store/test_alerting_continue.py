"""An alert that takes several routes (`continue`) is in several groups; each of them
tracks it: every group pages, every group resolves when the alert resolves, each paged
address hears of the resolve once, and no group repeats afterwards. Both databases,
against real receivers on loopback; the worker's stages are driven with explicit times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from sentinel.alerting.flush import flush_due_groups
from sentinel.alerting.models import AlertEvent
from sentinel.config import Settings
from sentinel.oncall.models import Escalation
from sentinel.oncall.tasks import escalate_and_deliver
from sentinel.storage.engine import Database
from tests.api.test_oncall_api import make_user
from tests.notify_receivers import HttpReceiver, SmtpReceiver
from tests.store.test_oncall_engine import at, contact, notify_settings

H = dict[str, str]
LABELS = {"alertname": "PgDown", "job": "postgres", "cluster": "c1", "severity": "critical"}


async def two_routes(client: httpx.AsyncClient, admin: H, user: int, http: HttpReceiver) -> None:
    """`db` (with continue) and `audit` both match postgres alerts; each pages `user` and
    tells its own room."""
    policy = await client.post(
        "/api/oncall/escalation-policies",
        headers=admin,
        json={"name": "db-oncall", "steps": [{"kind": "notify_users", "targets": [user]}]},
    )
    assert policy.status_code == 201, policy.text
    for position, (name, group_by, more) in enumerate(
        (("db", ["alertname"], True), ("audit", ["cluster"], False))
    ):
        route = await client.post(
            "/api/alerting/routes",
            headers=admin,
            json={
                "name": name,
                "position": position,
                "matchers": ['job="postgres"'],
                "receiver": name,
                "continue_matching": more,
                "escalation_policy_id": policy.json()["id"],
                "channels": [f"slack:{http.url}/room/{name}"],
                "group_by": group_by,
                "group_wait_s": 1,
            },
        )
        assert route.status_code == 201, route.text


async def send(client: httpx.AsyncClient, ingest: H, resolved: bool = False) -> None:
    alert: dict[str, Any] = {"labels": LABELS, "annotations": {"summary": "primary down"}}
    if resolved:
        alert["endsAt"] = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    response = await client.post("/api/v2/alerts", headers=ingest, json=[alert])
    assert response.status_code == 200, response.text


async def flush(db: Database, when: datetime) -> int:
    async with db.transaction() as session:
        return await flush_due_groups(session, when)


async def groups(client: httpx.AsyncClient, admin: H) -> dict[str, tuple[str, int]]:
    items = (await client.get("/api/alerts/groups", headers=admin)).json()["items"]
    return {g["receiver"]: (g["status"], g["alert_count"]) for g in items}


def texts(receiver: HttpReceiver, path: str) -> list[str]:
    return [r.json()["text"] for r in receiver.on(path)]


async def test_every_group_of_a_continue_route_resolves_and_tells_whoever_was_paged(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    settings: Settings,
    http: HttpReceiver,
    smtp: SmtpReceiver,
) -> None:
    ana = await make_user(client, admin_headers, "Ana")
    await contact(client, admin_headers, ana, "slack", f"{http.url}/slack/ana", None)
    await two_routes(client, admin_headers, ana, http)
    ns, secret = notify_settings(http, smtp), settings.jwt_secret()

    await send(client, ingest_headers)
    assert await groups(client, admin_headers) == {"db": ("open", 1), "audit": ("open", 1)}
    t0 = datetime.now(UTC) + timedelta(seconds=2)
    assert await flush(db, t0) == 2  # both groups notify
    await escalate_and_deliver(db, ns, secret, at(t0))
    page = "[CRITICAL] primary down (postgres)"
    assert texts(http, "/slack/ana") == [page, page]  # one page per group
    assert texts(http, "/room/db") == [page] and texts(http, "/room/audit") == [page]
    # Each group's page lists the alert (the `continue` group's too).
    summaries = [r.json()["blocks"][0]["text"]["text"] for r in http.on("/slack/ana")]
    assert all(s.endswith("1 alert(s): PgDown") for s in summaries), summaries

    await send(client, ingest_headers, resolved=True)
    assert await groups(client, admin_headers) == {"db": ("resolved", 0), "audit": ("resolved", 0)}
    await escalate_and_deliver(db, ns, secret, at(t0 + timedelta(seconds=10)))
    resolved = "[RESOLVED] primary down (postgres)"
    assert texts(http, "/slack/ana")[2:] == [resolved, resolved]  # once per page
    assert texts(http, "/room/db")[1:] == [resolved]
    assert texts(http, "/room/audit")[1:] == [resolved]
    async with db.transaction() as session:
        stopped = (await session.scalars(select(Escalation.status))).all()
    assert sorted(stopped) == ["resolved", "resolved"]

    # The resolved groups say so once at their next flush, then never again.
    assert await flush(db, t0 + timedelta(minutes=6)) == 2
    assert await flush(db, t0 + timedelta(hours=5)) == 0
    assert await flush(db, t0 + timedelta(hours=10)) == 0
    for minutes in (7, 60 * 5, 60 * 10):
        await escalate_and_deliver(db, ns, secret, at(t0 + timedelta(minutes=minutes)))
    assert len(http.on("/slack/ana")) == 4
    assert len(http.on("/room/db")) == 2 and len(http.on("/room/audit")) == 2
    async with db.transaction() as session:
        notes = (await session.scalars(select(AlertEvent).where(AlertEvent.kind == "notify"))).all()
    assert sorted(n.detail["group_status"] for n in notes) == [
        "open",
        "open",
        "resolved",
        "resolved",
    ]
    assert (await client.get("/api/v2/alerts/groups", headers=admin_headers)).json() == []


async def test_a_continue_group_follows_its_alert_when_it_fires_again(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H, db: Database, http: HttpReceiver
) -> None:
    ana = await make_user(client, admin_headers, "Ana")
    await two_routes(client, admin_headers, ana, http)
    await send(client, ingest_headers)
    await send(client, ingest_headers, resolved=True)
    assert await groups(client, admin_headers) == {"db": ("resolved", 0), "audit": ("resolved", 0)}
    await send(client, ingest_headers)
    assert await groups(client, admin_headers) == {"db": ("open", 1), "audit": ("open", 1)}
    [alert] = (await client.get("/api/alerts?status=firing", headers=admin_headers)).json()["items"]
    done = await client.post(f"/api/alerts/{alert['id']}/resolve", headers=admin_headers)
    assert done.status_code == 200, done.text
    assert await groups(client, admin_headers) == {"db": ("resolved", 0), "audit": ("resolved", 0)}
