"""Incident ids are never handed out twice. Links sent out name an incident by id
(`/incidents/<id>` in notification emails, Slack and SMS messages, post-mortems): SQLite
without AUTOINCREMENT gave the next incident the id of a deleted newest one, so those links
opened a different incident. Revision 0014 rebuilds the table on SQLite, keeping every
incident and every row that references one; PostgreSQL sequences were already safe."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import httpx
from sqlalchemy import Table, delete, insert, select, text

from sentinel.auth.models import AuditEvent
from sentinel.incidents.models import (
    ActionItem,
    Incident,
    IncidentAlert,
    IncidentParticipant,
    Runbook,
    RunbookRun,
    TimelineEntry,
)
from sentinel.storage import migrate
from sentinel.storage.engine import Database

H = dict[str, str]
BEFORE = "0013_incidents_ids_never_reused"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CHILDREN = (IncidentParticipant, IncidentAlert, TimelineEntry, ActionItem, RunbookRun)


async def _open(client: httpx.AsyncClient, headers: H, title: str) -> int:
    response = await client.post("/api/incidents", headers=headers, json={"title": title})
    assert response.status_code == 201, response.text
    incident_id: int = response.json()["id"]
    return incident_id


async def test_an_incident_opened_after_the_newest_was_deleted_gets_a_new_id(
    client: httpx.AsyncClient, admin_headers: H
) -> None:
    older = await _open(client, admin_headers, "Older")
    newest = await _open(client, admin_headers, "Newest")
    # A page about the newest incident went out with a link to it; then an admin deletes it.
    deleted = await client.delete(f"/api/incidents/{newest}", headers=admin_headers)
    assert deleted.status_code == 204
    later = await _open(client, admin_headers, "Later")
    assert later > max(older, newest)
    # The old link finds nothing rather than the later incident.
    gone = await client.get(f"/api/incidents/{newest}", headers=admin_headers)
    assert gone.status_code == 404


def _incident(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "description": "",
        "status": "triggered",
        "severity": "high",
        "affected_services": ["checkout"],
        "source": "manual",
        "creation_reason": "",
        "started_at": T0,
        "created_by": "ana",
        "created_at": T0,
        "updated_at": T0,
    }


async def _insert(db: Database, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    async with db.transaction() as session:
        table = cast(Table, model.__table__)
        return [
            (await session.execute(insert(table).returning(table.c.id), r)).scalar_one()
            for r in rows
        ]


async def _children(db: Database, incident: int, runbook: int) -> None:
    await _insert(
        db,
        IncidentParticipant,
        [
            {
                "incident_id": incident,
                "name": "ana",
                "role": "commander",
                "added_by": "ana",
                "added_at": T0,
            }
        ],
    )
    await _insert(
        db,
        IncidentAlert,
        [
            {
                "incident_id": incident,
                "alert_id": incident * 10,
                "group_id": None,
                "service": "checkout",
                "linked_by": "ana",
                "linked_at": T0,
            }
        ],
    )
    await _insert(
        db,
        TimelineEntry,
        [
            {
                "incident_id": incident,
                "at": T0,
                "kind": kind,
                "author": "ana",
                "message": kind,
                "detail": {"n": incident},
                "dedup_key": None,
            }
            for kind in ("created", "comment")
        ],
    )
    await _insert(
        db,
        ActionItem,
        [
            {
                "incident_id": incident,
                "title": "Fix it",
                "owner": None,
                "status": "open",
                "due_at": None,
                "created_by": "ana",
                "created_at": T0,
                "updated_at": T0,
            }
        ],
    )
    await _insert(
        db,
        RunbookRun,
        [
            {
                "incident_id": incident,
                "runbook_id": runbook,
                "step": "restart",
                "status": "succeeded",
                "dry_run": False,
                "requested_by": "ana",
                "approved_by": None,
                "request": {},
                "response_status": 200,
                "response_excerpt": "",
                "error": "",
            }
        ],
    )


async def _snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with db.transaction() as session:
        for model in (Incident, *CHILDREN):
            table = cast(Table, model.__table__)
            rows = await session.execute(select(table).order_by(table.c.id))
            out[table.name] = [tuple(r) for r in rows]
    return out


async def test_upgrade_keeps_incidents_their_rows_and_ids_and_never_reuses_one(
    fresh_url: str,
) -> None:
    db = Database(fresh_url)
    try:
        await _check_upgrade(db)
    finally:
        await db.dispose()


async def _check_upgrade(db: Database) -> None:
    await migrate.upgrade(db, BEFORE)
    [runbook] = await _insert(
        db,
        Runbook,
        [
            {
                "name": "restart",
                "markdown": "",
                "services": [],
                "alert_names": [],
                "steps": [],
                "created_at": T0,
                "updated_at": T0,
            }
        ],
    )
    first, merged, second, newest = await _insert(
        db, Incident, [_incident(t) for t in ("first", "merged", "second", "newest")]
    )
    for incident in (first, merged, second, newest):
        await _children(db, incident, runbook)
    async with db.transaction() as session:
        await session.execute(
            Incident.__table__.update().where(Incident.id == merged).values(merged_into_id=second)
        )
        # Deleted before the upgrade, its children with it; the audit log still names it.
        await session.execute(delete(Incident).where(Incident.id == newest))
        await session.execute(
            insert(cast(Table, AuditEvent.__table__)),
            {
                "at": T0,
                "actor_type": "user",
                "actor_id": None,
                "actor_name": "admin",
                "action": "incident.delete",
                "target_type": "incident",
                "target_id": str(newest),
                "detail": {},
                "request_id": None,
            },
        )
    before = await _snapshot(db)
    assert [r[0] for r in before["incidents"]] == [first, merged, second]
    assert all(len(before[m.__tablename__]) >= 3 for m in CHILDREN)

    await migrate.upgrade(db)

    assert await migrate.current_revision(db) == migrate.head_revisions()
    assert await _snapshot(db) == before
    if db.dialect == "sqlite":
        async with db.engine.connect() as connection:
            # The pooled connection enforces foreign keys again, and no reference dangles.
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA foreign_key_check"))).all() == []
    [later] = await _insert(db, Incident, [_incident("later")])
    assert later > newest
    # Deleting an incident still takes its rows with it.
    async with db.transaction() as session:
        await session.execute(delete(Incident).where(Incident.id == first))
    after = await _snapshot(db)
    for model in CHILDREN:
        rows = after[model.__tablename__]
        assert rows and all(r[1] != first for r in rows), model.__tablename__
