"""Retention of alert events and resolved occurrences, on both databases: old history of
resolved alerts goes in batches; an open alert keeps all of its history; no event is
deleted before the on-call and incident workers have read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select

from sentinel.alerting import intake
from sentinel.alerting.config import AlertingSettings
from sentinel.alerting.flush import flush_due_groups
from sentinel.alerting.models import Alert, AlertEvent, AlertOccurrence
from sentinel.alerting.pipeline import IncomingAlert
from sentinel.alerting.retention import old_id_bound, purge, read_through
from sentinel.alerting.severity import Severity
from sentinel.app import build_registry
from sentinel.incidents.automation import consume_alert_events
from sentinel.incidents.config import IncidentSettings
from sentinel.oncall.consumer import consume_events
from sentinel.storage.engine import Database

H = dict[str, str]
NOW = datetime.now(UTC)
KEEP = timedelta(days=90)


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


async def send(db: Database, name: str, at: datetime, resolve: bool = False) -> None:
    alert = IncomingAlert(
        labels={"alertname": name, "service": name.lower()},
        source="api",
        severity=Severity.HIGH,
        resolve=resolve,
    )
    async with db.transaction() as s:
        await intake.ingest(s, [alert], at, AlertingSettings(), "test")


async def flush(db: Database, at: datetime) -> None:
    async with db.transaction() as s:
        await flush_due_groups(s, at)


async def oncall_reads(db: Database) -> None:
    async with db.transaction() as s:
        while await consume_events(s, NOW):
            pass


async def incidents_read(db: Database) -> None:
    while True:
        async with db.transaction() as s:
            if not await consume_alert_events(s, NOW, IncidentSettings()):
                return


async def history(db: Database) -> dict[str, tuple[int, int]]:
    """Events and occurrences left per alert name, plus `notify` events under "-"."""
    async with db.transaction() as s:
        names = dict((await s.execute(select(Alert.id, Alert.alert_name))).all())
        events = dict(
            (await s.execute(select(AlertEvent.alert_id, func.count()).group_by("alert_id"))).all()
        )
        occurrences = dict(
            (
                await s.execute(select(AlertOccurrence.alert_id, func.count()).group_by("alert_id"))
            ).all()
        )
    out = {name: (events.get(i, 0), occurrences.get(i, 0)) for i, name in names.items()}
    out["-"] = (events.get(None, 0), 0)
    return out


async def test_retention_keeps_open_alerts_and_unread_events(
    client: httpx.AsyncClient, admin_headers: H, db: Database
) -> None:
    # Written in time order, as the pipeline writes them (ids follow time).
    await send(db, "Steady", days_ago(120))
    await send(db, "Steady", days_ago(110), resolve=True)
    await send(db, "Steady", days_ago(100))  # fires again and is still open
    await send(db, "Old", days_ago(100))
    await flush(db, days_ago(100) + timedelta(seconds=31))  # a notify per group
    await send(db, "Old", days_ago(99), resolve=True)
    await flush(db, days_ago(99) + timedelta(minutes=6))  # Old's group notifies its resolve
    await oncall_reads(db)
    await incidents_read(db)
    await send(db, "Unread", days_ago(98))  # old, but no worker has read it yet
    await send(db, "Unread", days_ago(97), resolve=True)
    await send(db, "Recent", days_ago(1))
    await send(db, "Recent", days_ago(0.5), resolve=True)
    before = await history(db)
    # fired, grouped, routed, resolved; two notifies per group (first page, then the
    # resolve for Old and a repeat for Steady).
    assert before["Old"] == (4, 1) and before["Steady"][1] == 2 and before["-"] == (4, 0)
    old_id = (
        await client.get("/api/alerts", params={"alert_name": "Old"}, headers=admin_headers)
    ).json()["items"][0]["id"]

    purged = await purge(db, NOW, KEEP, batch=2)  # small batches: several transactions
    after = await history(db)
    assert after["Old"] == (0, 0)  # read by both workers, resolved 99 days ago
    assert after["Steady"] == before["Steady"]  # open: nothing of it goes
    assert after["Unread"] == (before["Unread"][0], 0)  # events wait for the readers
    assert after["Recent"] == before["Recent"]
    assert after["-"] == (2, 0)  # Steady's group is open; Old's notifies are gone
    assert (purged.events, purged.occurrences) == (6, 2)
    r = await client.get(f"/api/alerts/{old_id}/events", headers=admin_headers)
    assert r.status_code == 200 and r.json() == []
    alert = (await client.get(f"/api/alerts/{old_id}", headers=admin_headers)).json()
    assert alert["status"] == "resolved"  # the alert itself stays, with its counters

    # One reader catching up is not enough: the slowest cursor decides.
    await oncall_reads(db)
    await purge(db, NOW, KEEP, batch=2)
    assert (await history(db))["Unread"] == after["Unread"]
    await incidents_read(db)
    await purge(db, NOW, KEEP, batch=2)
    assert (await history(db))["Unread"] == (0, 0)

    # Once Steady resolves and the workers have read that, its old history goes; the
    # current occurrence (resolved just now) and its recent events stay.
    await send(db, "Steady", NOW, resolve=True)
    await oncall_reads(db)
    await incidents_read(db)
    await purge(db, NOW, KEEP, batch=1000)
    events, occurrences = (await history(db))["Steady"]
    assert occurrences == 1
    async with db.transaction() as s:
        left = (
            await s.scalars(select(AlertEvent.at).where(AlertEvent.alert_id.is_not(None)))
        ).all()
    assert all(at >= NOW - KEEP for at in left) and events >= 1
    assert (await history(db))["Recent"] == before["Recent"]


async def test_nothing_goes_before_the_workers_have_started(db: Database) -> None:
    await send(db, "Old", days_ago(200))
    await send(db, "Old", days_ago(199), resolve=True)
    async with db.transaction() as s:
        assert await read_through(s) == 0
    purged = await purge(db, NOW, KEEP, batch=100)
    assert purged.events == 0 and purged.occurrences == 1
    assert (await history(db))["Old"][0] == 4  # fired, grouped, routed, resolved


async def test_the_newest_event_stays_so_its_id_is_never_handed_out_again(db: Database) -> None:
    # After a quiet spell every event is old and read. Deleting all of them would let
    # SQLite give the next event an id the workers' cursors have already passed.
    await send(db, "Quiet", days_ago(200))
    await send(db, "Quiet", days_ago(199), resolve=True)
    await oncall_reads(db)
    await incidents_read(db)
    async with db.transaction() as s:
        newest = await s.scalar(select(func.max(AlertEvent.id)))
        cursor = await read_through(s)
    assert newest is not None and cursor == newest

    await purge(db, NOW, KEEP, batch=100)
    async with db.transaction() as s:
        assert await s.scalar(select(func.max(AlertEvent.id))) == newest
    await send(db, "Next", NOW)
    async with db.transaction() as s:
        next_ids = (await s.scalars(select(AlertEvent.id).where(AlertEvent.id > cursor))).all()
    assert len(next_ids) >= 1  # the new alert's events lie beyond what was read


async def test_the_old_id_bound_bisects_to_the_last_old_event(db: Database) -> None:
    for n in range(9):
        await send(db, f"A{n}", days_ago(100 - n * 5))  # 100, 95, ... 60 days ago
    async with db.transaction() as s:
        ids = (await s.scalars(select(AlertEvent.id).order_by(AlertEvent.id))).all()
        ats = (await s.scalars(select(AlertEvent.at).order_by(AlertEvent.id))).all()
        last_old = max(i for i, at in zip(ids, ats, strict=True) if at < NOW - KEEP)
        assert await old_id_bound(s, NOW - KEEP, ids[-1]) == last_old
        assert await old_id_bound(s, NOW - KEEP, ids[0]) == ids[0]  # capped by the ceiling
        assert await old_id_bound(s, NOW - timedelta(days=365), ids[-1]) == 0


def test_the_worker_runs_retention_periodically() -> None:
    assert "alerting.retention" in {task.name for task in build_registry().periodic}
    assert AlertingSettings().event_retention_days == 90
