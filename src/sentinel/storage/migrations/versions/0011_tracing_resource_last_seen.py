"""tracing: span_resources.last_seen_ns, so retention can delete unused resources

Revision ID: 0011_tracing_last_seen
Revises: 0010_alerting_members

Ingest keeps `last_seen_ns` near the newest span start stored with a resource; retention
deletes resources last seen before its cutoff once their spans are gone. Existing rows
get the newest span start of the whole table (one index lookup, not a scan per
resource): never earlier than their own spans, so none is deleted while a span uses it;
those no longer used go one retention period later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_tracing_last_seen"
down_revision = "0010_alerting_members"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "span_resources",
        sa.Column("last_seen_ns", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.execute(
        "UPDATE span_resources SET last_seen_ns = (SELECT COALESCE(MAX(start_ns), 0) FROM spans)"
    )
    op.create_index("ix_span_resources_last_seen", "span_resources", ["last_seen_ns"])


def downgrade() -> None:
    op.drop_index("ix_span_resources_last_seen", table_name="span_resources")
    with op.batch_alter_table("span_resources") as batch:
        batch.drop_column("last_seen_ns")
