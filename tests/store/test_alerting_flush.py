"""Group timers on the stored groups: one `notify` per group when due, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from sentinel.alerting.flush import flush_due_groups
from sentinel.alerting.models import AlertEvent
from sentinel.storage.engine import Database

H = dict[str, str]


def alert(instance: str) -> dict[str, object]:
    return {
        "service_name": "api",
        "alert_name": "HighCPU",
        "severity": "high",
        "labels": {"instance": instance},
    }


async def _flush(db: Database, at: datetime) -> int:
    async with db.transaction() as s:
        return await flush_due_groups(s, at)


async def test_group_notifies_once_after_wait_then_on_change_then_on_repeat(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H, db: Database
) -> None:
    for instance in ("a", "b", "c"):  # three alerts, one group, one page
        r = await client.post("/api/alerts", json=alert(instance), headers=ingest_headers)
        assert r.status_code == 201
    t0 = datetime.now(UTC)  # after the group opened: a slow request cannot shift its wait
    assert await _flush(db, t0 + timedelta(seconds=5)) == 0  # still in group_wait (30 s)
    assert await _flush(db, t0 + timedelta(seconds=31)) == 1
    assert await _flush(db, t0 + timedelta(seconds=32)) == 0  # next flush: group_interval
    assert await _flush(db, t0 + timedelta(minutes=6)) == 0  # due, nothing changed
    await client.post("/api/alerts", json=alert("d"), headers=ingest_headers)
    assert await _flush(db, t0 + timedelta(minutes=12)) == 1  # a new alert joined
    assert await _flush(db, t0 + timedelta(hours=5)) == 1  # repeat_interval (4 h) passed
    async with db.transaction() as s:
        notes = (await s.scalars(select(AlertEvent).where(AlertEvent.kind == "notify"))).all()
    assert [n.detail["decision"] for n in notes] == ["notify", "notify", "repeat"]
    assert notes[0].detail["open_alerts"] == 3 and notes[0].alert_id is None
    events = (await client.get("/api/alerts/events", headers=admin_headers)).json()
    assert [e["kind"] for e in events].count("notify") == 3


async def test_a_group_whose_alerts_resolve_notifies_the_resolve(
    client: httpx.AsyncClient, ingest_headers: H, admin_headers: H, db: Database
) -> None:
    alert_id = (await client.post("/api/alerts", json=alert("a"), headers=ingest_headers)).json()[
        "id"
    ]
    t0 = datetime.now(UTC)  # after the group opened: a slow request cannot shift its wait
    assert await _flush(db, t0 + timedelta(seconds=31)) == 1
    await client.post(f"/api/alerts/{alert_id}/resolve", headers=admin_headers)
    assert await _flush(db, t0 + timedelta(minutes=6)) == 1
    assert await _flush(db, t0 + timedelta(minutes=12)) == 0  # resolved and told: done
    async with db.transaction() as s:
        last = (
            await s.scalars(
                select(AlertEvent).where(AlertEvent.kind == "notify").order_by(AlertEvent.id.desc())
            )
        ).first()
    assert last is not None and last.detail["group_status"] == "resolved"
