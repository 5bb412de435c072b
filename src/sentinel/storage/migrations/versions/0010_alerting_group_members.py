"""alerting: alert_group_members, every group an open alert is in (continue routes too)

Revision ID: 0010_alerting_members
Revises: 0009_incidents

Before this revision only an alert's primary group (alerts.group_id) counted it out when
it resolved, so groups reached through `continue` stayed open. The backfill gives every
open alert its primary group and the groups its `grouped` events name since it last
fired, recounts the open groups, and resolves those left without an alert (`changed`, so
their next flush says so).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sentinel.storage.base

revision = "0010_alerting_members"
down_revision = "0009_incidents"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alert_group_members",
        sa.Column("alert_id", _ID, nullable=False),
        sa.Column("group_id", _ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("joined_at", sentinel.storage.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_group_members_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["alert_groups.id"],
            name=op.f("fk_alert_group_members_group_id_alert_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alert_id", "group_id", name=op.f("pk_alert_group_members")),
    )
    with op.batch_alter_table("alert_group_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_group_members_group_id"), ["group_id"], unique=False
        )
    _backfill()


def _backfill() -> None:
    op.execute(
        """
        INSERT INTO alert_group_members (alert_id, group_id, position, joined_at)
        SELECT a.id, a.group_id, 0, a.updated_at FROM alerts a
        WHERE a.status IN ('firing', 'acknowledged', 'silenced') AND a.group_id IS NOT NULL
          AND EXISTS (SELECT 1 FROM alert_groups g WHERE g.id = a.group_id)
        """
    )
    op.execute(
        """
        INSERT INTO alert_group_members (alert_id, group_id, position, joined_at)
        SELECT e.alert_id, e.group_id, MIN(e.id), MIN(e.at) FROM alert_events e
        JOIN alerts a ON a.id = e.alert_id
        WHERE a.status IN ('firing', 'acknowledged', 'silenced') AND e.kind = 'grouped' AND e.group_id IS NOT NULL
          AND EXISTS (SELECT 1 FROM alert_groups g WHERE g.id = e.group_id)
          AND e.at >= (
            SELECT MAX(f.at) FROM alert_events f WHERE f.alert_id = e.alert_id AND f.kind = 'fired'
          )
          AND NOT EXISTS (
            SELECT 1 FROM alert_group_members m
            WHERE m.alert_id = e.alert_id AND m.group_id = e.group_id
          )
        GROUP BY e.alert_id, e.group_id
        """
    )
    op.execute(
        """
        UPDATE alert_groups SET alert_count = (
          SELECT COUNT(*) FROM alert_group_members m WHERE m.group_id = alert_groups.id
        )
        WHERE status = 'open'
        """
    )
    op.execute(
        sa.text(
            "UPDATE alert_groups SET status = 'resolved', changed = :yes "
            "WHERE status = 'open' AND alert_count = 0"
        ).bindparams(sa.bindparam("yes", True, type_=sa.Boolean()))
    )


def downgrade() -> None:
    with op.batch_alter_table("alert_group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_group_members_group_id"))
    op.drop_table("alert_group_members")
