"""tracing: ix_spans_service_hour_duration, a service's spans of each hour by duration

Revision ID: 0012_spans_duration_by_hour
Revises: 0011_tracing_last_seen

Trace search sorted by duration read every matching span of the window and sorted it.
This expression index orders a service's spans of one clock hour (start_ns / 1 h in
nanoseconds) by duration, so the search reads only the longest few spans per service
and hour (see sentinel.tracing.longest). The same expression on both databases: integer
division of two integers. Building it reads the spans table once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_spans_duration_by_hour"
down_revision = "0011_tracing_last_seen"
branch_labels = None
depends_on = None

# Kept equal to sentinel.tracing.indexes.HOUR_INDEX / HOUR_EXPRESSION (a test checks).
INDEX = "ix_spans_service_hour_duration"
HOUR = "(start_ns / 3600000000000)"


def upgrade() -> None:
    op.create_index(INDEX, "spans", ["service", sa.text(HOUR), "duration_ns"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="spans")
