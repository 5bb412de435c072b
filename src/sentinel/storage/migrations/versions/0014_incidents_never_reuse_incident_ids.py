"""incidents: SQLite never hands out an incident's id twice

Revision ID: 0014_incident_ids_never_reused
Revises: 0013_incidents_ids_never_reused

Links to an incident (`/incidents/<id>` in notification emails, Slack and SMS messages,
post-mortems, timelines) name it by id. SQLite without AUTOINCREMENT gives a new row the
table's highest id plus one, so once the newest incident was deleted (or merged away and
deleted), the next incident took its id and old links opened a different incident. The
table is rebuilt with AUTOINCREMENT, ids kept, and its sequence starts above every incident
id the audit log or a merge still names (the newest deleted incidents are gone from the
table itself). PostgreSQL sequences never go back: nothing to do there.

Five tables reference incidents.id with ON DELETE CASCADE. The rebuild drops the old table,
which with foreign keys enforced would delete every child row: `sentinel.storage.migrate`
runs SQLite migrations with PRAGMA foreign_keys=OFF (set outside the transaction), this
revision refuses to run otherwise, and checks the children's references afterwards.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0014_incident_ids_never_reused"
down_revision = "0013_incidents_ids_never_reused"
branch_labels = None
depends_on = None

CHILDREN = (
    "incident_participants",
    "incident_alerts",
    "incident_timeline",
    "incident_action_items",
    "runbook_runs",
)


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            "rebuilding incidents with foreign keys enforced would delete every row that "
            "references an incident: run migrations through sentinel.storage.migrate"
        )
    with op.batch_alter_table(
        "incidents", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
    for child in CHILDREN:
        dangling = bind.exec_driver_sql(f"PRAGMA foreign_key_check({child})").all()
        if dangling:
            raise RuntimeError(f"{child}: rows reference missing incidents: {dangling[:5]}")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild(True)
    # The copy set the sequence to the highest id kept; deleted incidents may have held
    # higher ones, still named by the audit log or by the incidents merged into them.
    op.execute(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'incidents', 0 "
        "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'incidents')"
    )
    op.execute(
        text(
            "UPDATE sqlite_sequence SET seq = max(seq, "
            "coalesce((SELECT max(CAST(target_id AS INTEGER)) FROM audit_events "
            "WHERE target_type = 'incident'), 0), "
            "coalesce((SELECT max(merged_into_id) FROM incidents), 0)) "
            "WHERE name = 'incidents'"
        )
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild(False)
