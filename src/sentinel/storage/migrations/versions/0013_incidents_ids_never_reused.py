"""incidents: SQLite never hands out an alert link's or timeline entry's id twice

Revision ID: 0013_incidents_ids_never_reused
Revises: 0012_spans_duration_by_minute

The incident worker follows incident_alerts by id, and SSE clients resume the timeline
after the last entry id they saw. SQLite without AUTOINCREMENT gives a new row the
table's highest id plus one, so after an incident holding the newest rows was deleted
(or merged), new rows took ids the readers had passed and were never seen. The tables are
rebuilt with AUTOINCREMENT (ids kept); the link sequence starts above the worker's cursor.
PostgreSQL sequences never go back: nothing to do there.
"""

from __future__ import annotations

from alembic import op

revision = "0013_incidents_ids_never_reused"
down_revision = "0012_spans_duration_by_minute"
branch_labels = None
depends_on = None

TABLES = ("incident_alerts", "incident_timeline")


def _rebuild(autoincrement: bool) -> None:
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild(True)
    # Links deleted before this revision may have held ids up to the worker's cursor.
    op.execute(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'incident_alerts', 0 "
        "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'incident_alerts')"
    )
    op.execute(
        "UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT last_id FROM "
        "incident_cursor WHERE name = 'incident_alert_links'), 0)) "
        "WHERE name = 'incident_alerts'"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild(False)
