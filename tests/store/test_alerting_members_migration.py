"""Revision 0010 on both databases: open alerts get their primary group and the groups of
the `continue` routes they took since they last fired; the open groups are recounted, and
a group that only a resolved alert kept open resolves (and says so at its next flush)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select

from sentinel.alerting.models import Alert, AlertEvent, AlertGroup, AlertGroupMember
from sentinel.storage import migrate
from sentinel.storage.engine import Database

BEFORE, AFTER = "0009_incidents", "0010_alerting_members"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def group(key: str, status: str, count: int) -> dict[str, Any]:
    return {
        "group_key": key,
        "receiver": key,
        "channels": [],
        "labels": {},
        "status": status,
        "reason": "",
        "service": "db",
        "title": "",
        "alert_count": count,
        "group_wait_s": 30.0,
        "group_interval_s": 300.0,
        "repeat_interval_s": 14400.0,
        "created_at": T0,
        "next_flush_at": T0,
        "changed": False,
        "updated_at": T0,
    }


def alert(name: str, status: str, group_id: int) -> dict[str, Any]:
    return {
        "fingerprint": name,
        "labels": {"alertname": name},
        "annotations": {},
        "alert_name": name,
        "service": "db",
        "alert_type": "",
        "title": name,
        "description": "",
        "severity": "high",
        "status": status,
        "source": "alertmanager",
        "generator_url": "",
        "starts_at": T0,
        "last_seen_at": T0,
        "count": 1,
        "occurrences": 2,
        "group_id": group_id,
        "created_at": T0,
        "updated_at": T0,
    }


def event(alert_id: int, kind: str, minutes: int, group_id: int | None = None) -> dict[str, Any]:
    at = T0 + timedelta(minutes=minutes)
    return {"alert_id": alert_id, "group_id": group_id, "kind": kind, "at": at, "detail": {}}


async def test_open_alerts_get_every_group_they_are_in_and_stale_groups_resolve(
    fresh_url: str,
) -> None:
    db = Database(fresh_url)
    try:
        await _check_backfill(db)
    finally:
        await db.dispose()


async def _check_backfill(fresh_db: Database) -> None:
    await migrate.upgrade(fresh_db, BEFORE)
    async with fresh_db.transaction() as session:
        groups = [
            group("primary", "open", 1),
            group("continue", "open", 2),  # drifted: a resolved alert was never counted out
            group("stale", "open", 1),  # only a resolved alert's `continue` kept it open
            group("old", "open", 1),  # the open alert's group in its previous occurrence
        ]
        g = dict(zip(("primary", "continue", "stale", "old"), range(1, 5), strict=True))
        await session.execute(insert(cast(Table, AlertGroup.__table__)), groups)
        await session.execute(
            insert(cast(Table, Alert.__table__)),
            [alert("Firing", "firing", g["primary"]), alert("Done", "resolved", g["continue"])],
        )
        firing, done = 1, 2
        await session.execute(
            insert(cast(Table, AlertEvent.__table__)),
            [
                event(firing, "fired", 0),
                event(firing, "grouped", 0, g["old"]),
                event(firing, "resolved", 5, g["old"]),
                event(firing, "fired", 10),
                event(firing, "grouped", 10, g["primary"]),
                event(firing, "grouped", 10, g["continue"]),
                event(done, "fired", 10),
                event(done, "grouped", 10, g["continue"]),
                event(done, "grouped", 10, g["stale"]),
                event(done, "resolved", 20, g["continue"]),
            ],
        )
        await session.execute(
            AlertGroup.__table__.update()
            .where(AlertGroup.id == g["old"])
            .values(status="resolved", alert_count=0)
        )

    await migrate.upgrade(fresh_db, AFTER)

    async with fresh_db.transaction() as session:
        members = (
            await session.execute(
                select(AlertGroupMember.alert_id, AlertGroupMember.group_id).order_by(
                    AlertGroupMember.alert_id, AlertGroupMember.position
                )
            )
        ).all()
        state = {
            row.group_key: (row.status, row.alert_count, row.changed)
            for row in (await session.scalars(select(AlertGroup))).all()
        }
    assert [tuple(m) for m in members] == [(firing, g["primary"]), (firing, g["continue"])]
    assert state == {
        "primary": ("open", 1, False),
        "continue": ("open", 1, False),
        "stale": ("resolved", 0, True),
        "old": ("resolved", 0, False),
    }
