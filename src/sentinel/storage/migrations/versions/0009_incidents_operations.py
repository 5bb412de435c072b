"""incidents: merge, auto-resolve per policy, de-duplicated timeline facts

Revision ID: 0009_incidents
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_incidents"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("policy_id", _ID, nullable=True))
        batch.add_column(sa.Column("merged_into_id", _ID, nullable=True))
    with op.batch_alter_table("incident_policies") as batch:
        batch.add_column(sa.Column("auto_resolve_minutes", sa.Float(), nullable=True))
    with op.batch_alter_table("incident_timeline") as batch:
        batch.add_column(sa.Column("dedup_key", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_incident_timeline_incident_id_dedup_key",
        "incident_timeline",
        ["incident_id", "dedup_key"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_incident_timeline_incident_id_dedup_key", table_name="incident_timeline")
    with op.batch_alter_table("incident_timeline") as batch:
        batch.drop_column("dedup_key")
    with op.batch_alter_table("incident_policies") as batch:
        batch.drop_column("auto_resolve_minutes")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("merged_into_id")
        batch.drop_column("policy_id")
